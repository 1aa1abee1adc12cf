import { AggregateRepository, catalogSchemas, InMemoryEventStore } from '@causeway/eventsourcing';
import { AuditTrail, type ServiceDefinition } from '@causeway/service-runtime';
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { PaymentDeadlines } from '../../deadlines/payment-deadlines';
import { Order, type CancellationReason, type OrderCommand } from '../../domain/order.aggregate';
import { CancelOrder } from './cancel-order.command';
import { CancelOrderHandler } from './cancel-order.handler';
import type { Reaction } from '../reaction';

/** CancelOrder as a reaction (PaymentFailed, UserDeleted): act only in the statuses it applies to, on the in-memory store. */
describe('CancelOrderHandler', () => {
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

  describe('CancelOrder as a reaction', () => {
    // The reaction path does not use the pool: it runs in the consumer's transaction.
    const handler = () => new CancelOrderHandler(orders, undefined as never, service, new AuditTrail(store, 'order-service'), deadlines);

    const paid = { type: 'ConfirmOrder', paymentId: randomUUID() } as const;
    const histories = {
      PENDING: [],
      CONFIRMED: [paid],
      SHIPPED: [paid, { type: 'ShipOrder' }],
      DELIVERED: [paid, { type: 'ShipOrder' }, { type: 'DeliverOrder' }],
      CANCELLED: [{ type: 'CancelOrder', reason: 'customer_request' }],
    } as const;
    const table: Array<[CancellationReason, keyof typeof histories, boolean]> = [
      ['payment_failed', 'PENDING', true],
      ['payment_failed', 'CONFIRMED', false],
      ['payment_failed', 'SHIPPED', false],
      ['payment_failed', 'CANCELLED', false],
      ['payment_timeout', 'PENDING', true],
      ['payment_timeout', 'CONFIRMED', false],
      ['user_deleted', 'PENDING', true],
      ['user_deleted', 'CONFIRMED', true],
      ['user_deleted', 'SHIPPED', false],
      ['user_deleted', 'DELIVERED', false],
      ['user_deleted', 'CANCELLED', false],
    ];

    it.each(table)('%s on a %s order: cancels = %s', async (reason, status, cancels) => {
      const id = await orderIn(...histories[status]);
      const before = await store.readStream(id);
      const reaction = cause();
      const result = await handler().execute(new CancelOrder(id, reason, undefined, reaction));
      const after = await store.readStream(id);
      // Whatever the status: only a PENDING order has a pending deadline, and leaving PENDING ends it.
      expect(settled).toEqual([[reaction.transaction, id]]);
      if (!cancels) {
        expect(result).toBeUndefined();
        expect(after).toEqual(before);
        return;
      }
      expect(result).toEqual({ id, status: 'CANCELLED', version: before.length + 1 });
      expect(after.at(-1)).toMatchObject({
        eventType: 'OrderCancelled',
        data: { orderId: id, userId, reason, refundDue: status === 'CONFIRMED' },
        metadata: { correlationId: reaction.cause.metadata.correlationId, causationId: reaction.cause.eventId, source: 'order-service' },
      });
    });

    it('does nothing for an order this service does not know', async () => {
      const id = randomUUID();
      expect(await handler().execute(new CancelOrder(id, 'user_deleted', undefined, cause()))).toBeUndefined();
      expect(await store.readStream(id)).toEqual([]);
    });

    it('refuses customer_request as a reaction: customers cancel through the API', async () => {
      const id = await orderIn();
      await expect(handler().execute(new CancelOrder(id, 'customer_request', undefined, cause()))).rejects.toThrow(/not a reaction/);
    });
  });
});
