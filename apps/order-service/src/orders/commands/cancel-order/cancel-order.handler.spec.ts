import { AuditTrail } from '@causeway/service-runtime';
import { randomUUID } from 'node:crypto';
import { orderReactionsKit } from '../../../../test/order-reactions.kit';
import type { CancellationReason } from '../../domain/order.aggregate';
import { CancelOrder } from './cancel-order.command';
import { CancelOrderHandler } from './cancel-order.handler';

/** CancelOrder as a reaction (PaymentFailed, UserDeleted): act only in the statuses it applies to, on the in-memory store. */
describe('CancelOrderHandler', () => {
  const kit = orderReactionsKit();

  describe('CancelOrder as a reaction', () => {
    // The reaction path does not use the pool: it runs in the consumer's transaction.
    const handler = () => new CancelOrderHandler(kit.orders, undefined as never, kit.service, new AuditTrail(kit.store, 'order-service'), kit.deadlines);

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
      const id = await kit.orderIn(...histories[status]);
      const before = await kit.store.readStream(id);
      const reaction = kit.cause();
      const result = await handler().execute(new CancelOrder(id, reason, undefined, reaction));
      const after = await kit.store.readStream(id);
      // Whatever the status: only a PENDING order has a pending deadline, and leaving PENDING ends it.
      expect(kit.settled).toEqual([[reaction.transaction, id]]);
      if (!cancels) {
        expect(result).toBeUndefined();
        expect(after).toEqual(before);
        return;
      }
      expect(result).toEqual({ id, status: 'CANCELLED', version: before.length + 1 });
      expect(after.at(-1)).toMatchObject({
        eventType: 'OrderCancelled',
        data: { orderId: id, userId: kit.userId, reason, refundDue: status === 'CONFIRMED' },
        metadata: { correlationId: reaction.cause.metadata.correlationId, causationId: reaction.cause.eventId, source: 'order-service' },
      });
    });

    it('does nothing for an order this service does not know', async () => {
      const id = randomUUID();
      expect(await handler().execute(new CancelOrder(id, 'user_deleted', undefined, kit.cause()))).toBeUndefined();
      expect(await kit.store.readStream(id)).toEqual([]);
    });

    it('refuses customer_request as a reaction: customers cancel through the API', async () => {
      const id = await kit.orderIn();
      await expect(handler().execute(new CancelOrder(id, 'customer_request', undefined, kit.cause()))).rejects.toThrow(/not a reaction/);
    });
  });
});
