import { START } from '@causeway/eventsourcing';
import { AuditTrail } from '@causeway/service-runtime';
import { randomUUID } from 'node:crypto';
import { orderReactionsKit } from '../../../../test/order-reactions.kit';
import { ConfirmOrder } from './confirm-order.command';
import { ConfirmOrderHandler } from './confirm-order.handler';

/** The PaymentProcessed reaction: act only on a PENDING order, on the in-memory store. */
describe('ConfirmOrderHandler', () => {
  const kit = orderReactionsKit();
  const types = async (id: string) => (await kit.store.readStream(id)).map((e) => e.eventType);
  const audited = async () => (await kit.store.readAll(START, 1_000)).events.filter((e) => e.eventType === 'CommandAudited');

  describe('ConfirmOrder (PaymentProcessed)', () => {
    const handler = () => new ConfirmOrderHandler(kit.orders, kit.service, new AuditTrail(kit.store, 'order-service'), kit.deadlines);

    it('confirms a PENDING order, caused by the payment event and in its correlation', async () => {
      const id = await kit.orderIn();
      const paymentId = randomUUID();
      const reaction = kit.cause();
      expect(await handler().execute(new ConfirmOrder(id, paymentId, reaction))).toEqual({ id, status: 'CONFIRMED', version: 2 });
      // The payment deadline ends in the transaction that confirms.
      expect(kit.settled).toEqual([[reaction.transaction, id]]);
      const [, confirmed] = await kit.store.readStream(id);
      expect(confirmed).toMatchObject({
        eventType: 'OrderConfirmed',
        data: { orderId: id, userId: kit.userId, paymentId, totalCents: 1_000, currency: 'EUR' },
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
      const id = await kit.orderIn(...history);
      const before = await types(id);
      expect(await handler().execute(new ConfirmOrder(id, randomUUID(), kit.cause()))).toBeUndefined();
      expect(await types(id)).toEqual(before);
      expect(await audited()).toEqual([]);
    });

    it('ignores an order this service does not know', async () => {
      const id = randomUUID();
      expect(await handler().execute(new ConfirmOrder(id, randomUUID(), kit.cause()))).toBeUndefined();
      expect(await types(id)).toEqual([]);
    });
  });
});
