import { AggregateRepository, catalogSchemas, ConcurrencyConflictError, InMemoryEventStore, START } from '@causeway/eventsourcing';
import { AuditTrail, type ServiceDefinition } from '@causeway/service-runtime';
import type { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { CancelOrder } from '../commands/cancel-order/cancel-order.command';
import { CancelOrderHandler } from '../commands/cancel-order/cancel-order.handler';
import { Order, type OrderCommand } from '../domain/order.aggregate';
import { PaymentDeadlineWatcher } from './payment-deadline.watcher';
import type { PaymentDeadlines } from './payment-deadlines';

/** The watcher's logic on the in-memory store, with the real CancelOrder handler; SQL is recorded, not run. */
describe('PaymentDeadlineWatcher', () => {
  const service = { name: 'order-service' } as ServiceDefinition;
  const userId = randomUUID();
  let store: InMemoryEventStore;
  let orders: AggregateRepository<Order>;
  let calls: string[];
  let due: string[];
  let failing: Set<string>;
  let tx: PoolClient;
  let watcher: PaymentDeadlineWatcher;

  beforeEach(() => {
    store = new InMemoryEventStore(catalogSchemas);
    orders = new AggregateRepository(store, (id) => new Order(id), { schemas: catalogSchemas, snapshotInterval: 1_000 });
    calls = [];
    due = [];
    failing = new Set();
    tx = { query: async (sql: string | { text: string }) => void calls.push(typeof sql === 'string' ? sql : sql.text), release: () => undefined } as unknown as PoolClient;
    const pool = { connect: async () => tx } as unknown as Pool;
    const deadlines = {
      claimDue: async (_tx: PoolClient, limit: number) => due.slice(0, limit),
      settle: async (t: PoolClient, orderId: string) => void calls.push(`settle ${orderId}${t === tx ? '' : ' (another transaction!)'}`),
      postpone: async (_t: PoolClient, orderId: string) => void calls.push(`postpone ${orderId}`),
    } as unknown as PaymentDeadlines;
    const cancel = new CancelOrderHandler(orders, undefined as never, service, new AuditTrail(store, 'order-service'), deadlines);
    const commands = {
      execute: async (command: CancelOrder) => {
        if (failing.has(command.orderId)) throw new ConcurrencyConflictError(command.orderId, 1, 2);
        return cancel.execute(command);
      },
    } as unknown as CommandBus;
    watcher = new PaymentDeadlineWatcher(pool, store, deadlines, commands, { batchSize: 10 });
  });

  async function orderIn(...commands: Array<Exclude<OrderCommand, { type: 'PlaceOrder' }>>): Promise<string> {
    const order = new Order(randomUUID());
    order.execute({ type: 'PlaceOrder', userId, items: [{ sku: 'A', quantity: 1, unitPriceCents: 500 }], currency: 'EUR', paymentMethod: 'tok_visa', paymentDeadline: new Date().toISOString() });
    await orders.save(order, { correlationId: `corr-${order.id}`, causationId: randomUUID(), source: 'order-service' });
    for (const command of commands) {
      order.execute(command);
      await orders.save(order, { correlationId: randomUUID(), causationId: randomUUID(), source: 'order-service' });
    }
    return order.id;
  }
  const types = async (id: string) => (await store.readStream(id)).map((e) => e.eventType);

  it('cancels a PENDING order (payment_timeout, nothing to refund), caused by its OrderPlaced and in its correlation, audited, deadline done', async () => {
    const id = await orderIn();
    const [placed] = await store.readStream(id);
    expect(await watcher.expire(tx, id)).toBe(true);
    const [, cancelled] = await store.readStream(id);
    expect(cancelled).toMatchObject({
      eventType: 'OrderCancelled',
      version: 2,
      data: { orderId: id, userId, reason: 'payment_timeout', refundDue: false },
      metadata: { correlationId: placed.metadata.correlationId, causationId: placed.eventId, source: 'order-service' },
    });
    const audited = (await store.readAll(START, 1_000)).events.filter((e) => e.eventType === 'CommandAudited');
    expect(audited).toEqual([
      expect.objectContaining({ data: { actor: 'order-service', command: 'CancelOrder', outcome: 'accepted', targetId: id }, metadata: expect.objectContaining({ correlationId: placed.metadata.correlationId }) }),
    ]);
    expect(calls.filter((c) => c.startsWith('settle'))).toEqual([`settle ${id}`, `settle ${id}`]);
  });

  it.each([
    ['CONFIRMED', [{ type: 'ConfirmOrder', paymentId: randomUUID() }]],
    ['CANCELLED', [{ type: 'CancelOrder', reason: 'payment_failed' }]],
    ['SHIPPED', [{ type: 'ConfirmOrder', paymentId: randomUUID() }, { type: 'ShipOrder' }]],
  ] as const)('leaves a %s order alone and marks its deadline done', async (_status, history) => {
    const id = await orderIn(...history);
    const before = await types(id);
    expect(await watcher.expire(tx, id)).toBe(false);
    expect(await types(id)).toEqual(before);
    expect(calls).toContain(`settle ${id}`);
  });

  it('marks the deadline of an order it does not know done', async () => {
    const id = randomUUID();
    expect(await watcher.expire(tx, id)).toBe(false);
    expect(calls).toEqual([`settle ${id}`]);
  });

  it('expires every due order in one transaction; one that fails is rolled back to its savepoint and postponed, the others stay cancelled', async () => {
    const [a, b, c] = [await orderIn(), await orderIn(), await orderIn()];
    due = [a, b, c];
    failing.add(b);
    expect(await watcher.expireDue()).toBe(3);
    expect(await types(a)).toEqual(['OrderPlaced', 'OrderCancelled']);
    expect(await types(b)).toEqual(['OrderPlaced']);
    expect(await types(c)).toEqual(['OrderPlaced', 'OrderCancelled']);
    expect(calls[0]).toBe('BEGIN');
    expect(calls.at(-1)).toBe('COMMIT');
    expect(calls.filter((q) => /SAVEPOINT|postpone/.test(q))).toEqual([
      'SAVEPOINT payment_deadline', 'RELEASE SAVEPOINT payment_deadline',
      'SAVEPOINT payment_deadline', 'ROLLBACK TO SAVEPOINT payment_deadline', `postpone ${b}`,
      'SAVEPOINT payment_deadline', 'RELEASE SAVEPOINT payment_deadline',
    ]);
  });

  it('claims at most a batch per transaction, and nothing when nothing is due', async () => {
    expect(await watcher.expireDue()).toBe(0);
    expect(calls).toEqual(['BEGIN', 'COMMIT']);
    due = await Promise.all(Array.from({ length: 12 }, () => orderIn()));
    expect(await watcher.expireDue()).toBe(10);
  });

  it('starts and stops promptly', async () => {
    watcher.start();
    const stopping = Date.now();
    await watcher.stop();
    expect(Date.now() - stopping).toBeLessThan(200);
    expect(calls.slice(0, 2)).toEqual(['BEGIN', 'COMMIT']);
  });
});
