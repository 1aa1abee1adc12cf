import { buildCausationTree, compareEvents, eventsWithMissingCause, type CauseNode, type EventNode, type InspectedEvent } from './browser/causation-tree.js';

let positions = 0;

/** An event as GET /api/events lists it; `id` doubles as its eventId. */
function event(id: string, causationId: string | undefined, fields: Partial<InspectedEvent> = {}): InspectedEvent {
  return {
    eventId: id,
    eventType: 'OrderPlaced',
    aggregateType: 'Order',
    aggregateId: `agg-${id}`,
    version: 1,
    timestamp: '2026-12-01T10:00:00.000Z',
    service: 'order-service',
    position: String(++positions),
    data: {},
    metadata: { correlationId: 'corr-1', source: fields.service ?? 'order-service', ...(causationId === undefined ? {} : { causationId }) },
    ...fields,
  };
}

const audit = (id: string, commandId: string, command: string, at: string, service = 'order-service') =>
  event(id, commandId, { eventType: 'CommandAudited', aggregateType: 'Audit', timestamp: at, service, data: { actor: 'anonymous', command, outcome: 'accepted' } });

/** The tree as nested ids: what a reader of the page sees, and what a wrong tree gets wrong. */
type Shape = Array<{ kind: CauseNode['kind']; cause: string | undefined; events: EventShape[] }>;
type EventShape = string | { [id: string]: EventShape[] };
const eventShape = (node: EventNode): EventShape => (node.children.length ? { [node.event.eventId]: node.children.map(eventShape) } : node.event.eventId);
const shapeOf = (roots: CauseNode[]): Shape => roots.map((root) => ({ kind: root.kind, cause: root.causeId, events: root.children.map(eventShape) }));

/** Every shuffle a test input can arrive in: the tree must not depend on it. */
const orders = <T>(items: T[]): T[][] => [items, [...items].reverse(), [...items.slice(1), items[0]]];

describe('the causation tree of a correlation (buildCausationTree)', () => {
  it('nests a saga: each event under the event whose id is its causationId, to any depth', () => {
    // given: a command placed an order; payment reacted to it; order reacted to the payment
    const events = [
      audit('audit-1', 'cmd-place', 'PlaceOrder', '2026-12-01T10:00:00.000Z'),
      event('placed', 'cmd-place', { timestamp: '2026-12-01T10:00:00.001Z' }),
      event('initiated', 'placed', { eventType: 'PaymentInitiated', service: 'payment-service', timestamp: '2026-12-01T10:00:00.050Z' }),
      event('processed', 'initiated', { eventType: 'PaymentProcessed', service: 'payment-service', timestamp: '2026-12-01T10:00:00.090Z' }),
      event('confirmed', 'processed', { eventType: 'OrderConfirmed', timestamp: '2026-12-01T10:00:00.120Z' }),
      event('mailed', 'confirmed', { eventType: 'NotificationSent', service: 'notification-service', timestamp: '2026-12-01T10:00:00.200Z' }),
    ];
    for (const input of orders(events)) {
      // when
      const tree = buildCausationTree(input);
      // then
      expect(shapeOf(tree)).toEqual([{ kind: 'command', cause: 'cmd-place', events: ['audit-1', { placed: [{ initiated: [{ processed: [{ confirmed: ['mailed'] }] }] }] }] }]);
      expect(tree[0].audit?.eventId).toBe('audit-1');
    }
  });

  it('keeps two commands of one correlation as two roots, in the time order of their first events', () => {
    // given: a user created, then (later) an order placed, both with the client's correlation id
    const events = [
      event('order-placed', 'cmd-order', { timestamp: '2026-12-01T10:00:05.000Z' }),
      audit('audit-order', 'cmd-order', 'PlaceOrder', '2026-12-01T10:00:05.000Z'),
      event('user-created', 'cmd-user', { eventType: 'UserCreated', aggregateType: 'User', service: 'user-service', timestamp: '2026-12-01T10:00:01.000Z' }),
      audit('audit-user', 'cmd-user', 'CreateUser', '2026-12-01T10:00:01.000Z', 'user-service'),
      event('welcomed', 'user-created', { eventType: 'NotificationSent', service: 'notification-service', timestamp: '2026-12-01T10:00:01.500Z' }),
    ];
    for (const input of orders(events)) {
      // when
      const tree = buildCausationTree(input);
      // then
      expect(shapeOf(tree)).toEqual([
        // within a command, one service's events of the same millisecond in the order they were appended
        { kind: 'command', cause: 'cmd-user', events: [{ 'user-created': ['welcomed'] }, 'audit-user'] },
        { kind: 'command', cause: 'cmd-order', events: ['order-placed', 'audit-order'] },
      ]);
    }
  });

  it('reports an event whose cause is neither among the events nor an audited command as missing, with what it caused still under it', () => {
    // given: payment-service did not answer, so PaymentProcessed (the cause of OrderConfirmed) is not in the list
    const events = [
      audit('audit-1', 'cmd-place', 'PlaceOrder', '2026-12-01T10:00:00.000Z'),
      event('placed', 'cmd-place', { timestamp: '2026-12-01T10:00:00.001Z' }),
      event('confirmed', 'processed-elsewhere', { eventType: 'OrderConfirmed', timestamp: '2026-12-01T10:00:00.120Z' }),
      event('mailed', 'confirmed', { eventType: 'NotificationSent', service: 'notification-service', timestamp: '2026-12-01T10:00:00.200Z' }),
      event('orphan', undefined, { timestamp: '2026-12-01T10:00:00.300Z' }),
    ];
    // when
    const tree = buildCausationTree(events);
    // then
    expect(shapeOf(tree)).toEqual([
      { kind: 'command', cause: 'cmd-place', events: ['audit-1', 'placed'] },
      { kind: 'missing', cause: 'processed-elsewhere', events: [{ confirmed: ['mailed'] }] },
      { kind: 'missing', cause: undefined, events: ['orphan'] },
    ]);
    expect(eventsWithMissingCause(events).map((e) => e.eventId)).toEqual(['confirmed', 'orphan']);
    expect(eventsWithMissingCause(events.slice(0, 2))).toEqual([]);
  });

  it('orders siblings with equal timestamps by service, then by position in that service’s log, whatever order they come in', () => {
    // given: one event caused four reactions in the same millisecond, two of them in one service
    const at = '2026-12-01T10:00:00.100Z';
    const events = [
      event('cause', 'cmd', { timestamp: '2026-12-01T10:00:00.000Z' }),
      event('order-b', 'cause', { timestamp: at, service: 'order-service', position: '10' }),
      event('order-a', 'cause', { timestamp: at, service: 'order-service', position: '9' }),
      event('payment', 'cause', { timestamp: at, service: 'payment-service', position: '1' }),
      event('notification', 'cause', { timestamp: at, service: 'notification-service', position: '100' }),
      event('earlier', 'cause', { timestamp: '2026-12-01T10:00:00.099Z', service: 'user-service', position: '5' }),
    ];
    for (const input of orders(events)) {
      // when
      const [root] = buildCausationTree(input);
      // then: position 9 before 10 numerically, not as text
      expect(root.children[0].children.map((n) => n.event.eventId)).toEqual(['earlier', 'notification', 'order-a', 'order-b', 'payment']);
    }
  });

  it('orders by instant, not by text, and keeps events with an unreadable time last', () => {
    // given: the same kind of times written with and without milliseconds and an offset
    const late = event('late', 'cmd', { timestamp: '2026-12-01T11:30:00+01:00' }); // 10:30Z
    const early = event('early', 'cmd', { timestamp: '2026-12-01T10:15:00.000Z' });
    const broken = event('broken', 'cmd', { timestamp: 'not a time' });
    // when / then
    expect([broken, late, early].sort(compareEvents).map((e) => e.eventId)).toEqual(['early', 'late', 'broken']);
  });

  it('places every event exactly once, even when malformed metadata makes a causation cycle', () => {
    // given: a and b name each other as cause; c names itself
    const events = [event('a', 'b'), event('b', 'a', { timestamp: '2026-12-01T10:00:01.000Z' }), event('c', 'c', { timestamp: '2026-12-01T10:00:02.000Z' }), event('d', 'a', { timestamp: '2026-12-01T10:00:03.000Z' })];
    // when
    const tree = buildCausationTree(events);
    // then
    expect(shapeOf(tree)).toEqual([
      { kind: 'cycle', cause: 'b', events: [{ a: ['b', 'd'] }] },
      { kind: 'cycle', cause: 'c', events: ['c'] },
    ]);
  });

  it('builds nothing from nothing', () => {
    expect(buildCausationTree([])).toEqual([]);
  });
});
