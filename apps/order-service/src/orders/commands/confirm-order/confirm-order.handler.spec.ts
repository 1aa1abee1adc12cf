import { AggregateRepository, catalogSchemas, InMemoryEventStore, START } from '@causeway/eventsourcing';
import { AuditTrail, type ServiceDefinition } from '@causeway/service-runtime';
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { PaymentDeadlines } from '../../deadlines/payment-deadlines';
import { Order, type OrderCommand } from '../../domain/order.aggregate';
import type { Reaction } from '../reaction';
import { ConfirmOrder } from './confirm-order.command';
import { ConfirmOrderHandler } from './confirm-order.handler';

/** The PaymentProcessed reaction: act only on a PENDING order, on the in-memory store. */
describe('ConfirmOrderHandler', () => {
  const service = { name: 'order-service' } as ServiceDefinition;
  const userId = randomUUID();
  let store: InMemoryEventStore;
  let orders: AggregateRepository<Order>;

  /** Records which deadlines were settled, in which transaction. */
  let settled: Array<[PoolClient, string]>;
  let deadlines: PaymentDeadlines;

  beforeEach(() => {
    settled = [];
    deadlines = { settle: async (tx: PoolClient, orderId: string) => void settled.push([tx, orderId]) } as unknown as PaymentDeadlines;
    store = new InMemoryEventStore(catalogSchemas);
    orders = new AggregateRepository(store, (id) => new Order(id), { schemas: catalogSchemas, snapshotInterval: 1_000 });
  });

  const cause = (): Reaction => ({
    // The in-memory store has no transactions: it ignores the client.
    transaction: {} as PoolClient,
    cause: { eventId: randomUUID(), metadata: { correlationId: randomUUID() } },
  });

  async function orderIn(...commands: Array<Exclude<OrderCommand, { type: 'PlaceOrder' }>>): Promise<string> {
    const order = new Order(randomUUID());
    order.execute({ type: 'PlaceOrder', userId, items: [{ sku: 'A', quantity: 2, unitPriceCents: 500 }], currency: 'EUR', paymentMethod: 'tok_visa', paymentDeadline: new Date().toISOString() });
    for (const command of commands) order.execute(command);
    await orders.save(order, { correlationId: 'c', causationId: 'c', source: 'test' });
    return order.id;
  }
  const types = async (id: string) => (await store.readStream(id)).map((e) => e.eventType);
  const audited = async () => (await store.readAll(START, 1_000)).events.filter((e) => e.eventType === 'CommandAudited');

  describe('ConfirmOrder (PaymentProcessed)', () => {
    const handler = () => new ConfirmOrderHandler(orders, service, new AuditTrail(store, 'order-service'), deadlines);

    it('confirms a PENDING order, caused by the payment event and in its correlation', async () => {
      const id = await orderIn();
      const paymentId = randomUUID();
      const reaction = cause();
      expect(await handler().execute(new ConfirmOrder(id, paymentId, reaction))).toEqual({ id, status: 'CONFIRMED', version: 2 });
      // The payment deadline ends in the transaction that confirms.
      expect(settled).toEqual([[reaction.transaction, id]]);
      const [, confirmed] = await store.readStream(id);
      expect(confirmed).toMatchObject({
        eventType: 'OrderConfirmed',
        data: { orderId: id, userId, paymentId, totalCents: 1_000, currency: 'EUR' },
        metadata: { correlationId: reaction.cause.metadata.correlationId, causationId: reaction.cause.eventId, source: 'order-service' },
      });
      expect(await audited()).toEqual([
        expect.objectContaining({ data: { actor: 'order-service', command: 'ConfirmOrder', outcome: 'accepted', targetId: id }, metadata: expect.objectContaining({ correlationId: reaction.cause.metadata.correlationId }) }),
      ]);
    });

    it.each([
      ['CONFIRMED', [{ type: 'ConfirmOrder', paymentId: randomUUID() }]],
      ['CANCELLED', [{ type: 'CancelOrder', reason: 'payment_timeout' }]],
      ['SHIPPED', [{ type: 'ConfirmOrder', paymentId: randomUUID() }, { type: 'ShipOrder' }]],
    ] as const)('ignores an order that is %s', async (_status, history) => {
      const id = await orderIn(...history);
      const before = await types(id);
      expect(await handler().execute(new ConfirmOrder(id, randomUUID(), cause()))).toBeUndefined();
      expect(await types(id)).toEqual(before);
      expect(await audited()).toEqual([]);
    });

    it('ignores an order this service does not know', async () => {
      const id = randomUUID();
      expect(await handler().execute(new ConfirmOrder(id, randomUUID(), cause()))).toBeUndefined();
      expect(await types(id)).toEqual([]);
    });
  });
});
