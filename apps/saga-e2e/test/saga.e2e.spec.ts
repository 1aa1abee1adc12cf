import type { EventType } from '@causeway/contracts';
import { randomUUID } from 'node:crypto';
import { startSagaStack, type InspectedEvent, type SagaStack } from '@causeway/testing';

/**
 * The order-fulfilment saga (ARCHITECTURE §5) end to end, through the gateway of a stack of its
 * own (startSagaStack, libs/testing): the happy path, a declined card, cancel-after-confirm, and a
 * deleted user. Deadlines, load and crashes are in saga-faults.e2e.spec.ts.
 */

const TEST_TIMEOUT_MS = 240_000;

describe('order-fulfilment saga across all services (e2e)', () => {
  let stack: SagaStack;

  beforeAll(async () => {
    stack = await startSagaStack('saga_e2e', {
      // tok_timeout answers after this, so an order paid with it stays PENDING for a while.
      CAUSEWAY__PAYMENT_SANDBOX__TIMEOUT_DELAY: '3s',
      // Far beyond it: no payment_timeout cancellation in these scenarios.
      CAUSEWAY__SAGA__PAYMENT_DEADLINE: '120s',
    });
  }, 180_000);

  afterAll(() => stack?.stop(), 60_000);

  const call: SagaStack['call'] = (...args) => stack.call(...args);
  const until: SagaStack['until'] = (...args) => stack.until(...args);
  const createUser: SagaStack['createUser'] = (...args) => stack.createUser(...args);
  const placeOrder: SagaStack['placeOrder'] = (...args) => stack.placeOrder(...args);
  const getOrder: SagaStack['getOrder'] = (...args) => stack.getOrder(...args);
  const waitForOrder: SagaStack['waitForOrder'] = (...args) => stack.waitForOrder(...args);
  const paymentsOf: SagaStack['paymentsOf'] = (...args) => stack.paymentsOf(...args);
  const waitForPayment: SagaStack['waitForPayment'] = (...args) => stack.waitForPayment(...args);
  const waitForNotifications: SagaStack['waitForNotifications'] = (...args) => stack.waitForNotifications(...args);
  const eventsOf: SagaStack['eventsOf'] = (...args) => stack.eventsOf(...args);
  const waitForEvents: SagaStack['waitForEvents'] = (...args) => stack.waitForEvents(...args);

  const only = (events: InspectedEvent[], type: EventType): InspectedEvent => {
    const matching = events.filter((e) => e.eventType === type);
    expect(matching.map((e) => `${e.eventType} ${e.aggregateId}`)).toHaveLength(1);
    return matching[0];
  };

  // ---- the scenarios -------------------------------------------------------------------------

  it(
    'happy path: placed → paid → confirmed → shipped → delivered, notified, one correlation tree',
    async () => {
      const userId = await createUser('happy');
      const { id, correlationId } = await placeOrder(userId, 'tok_visa');

      const confirmed = await waitForOrder(id, 'CONFIRMED');
      expect(confirmed).toMatchObject({ id, userId, totalCents: 2500, currency: 'EUR', paymentMethod: 'tok_visa', version: 2 });
      expect(confirmed.paymentId).toEqual(expect.any(String));
      expect(confirmed.etag).toBe('"2"');

      const shipped = await call('POST', `/orders/${id}/ship`, undefined, { 'if-match': confirmed.etag });
      expect(shipped.status).toBe(200);
      expect(shipped.body).toMatchObject({ id, status: 'SHIPPED', version: 3 });
      const delivered = await call('POST', `/orders/${id}/deliver`, undefined, { 'if-match': shipped.headers.get('etag') as string });
      expect(delivered.status).toBe(200);
      expect(delivered.body).toMatchObject({ id, status: 'DELIVERED', version: 4 });
      expect((await waitForOrder(id, 'DELIVERED')).deliveredAt).toEqual(expect.any(String));

      const payment = await waitForPayment(id, 'processed');
      expect(payment).toMatchObject({ id: confirmed.paymentId, orderId: id, userId, amountCents: 2500, currency: 'EUR' });
      const listed = await call('GET', `/orders?userId=${userId}`);
      expect(listed.body.items.map((o: { id: string; status: string }) => [o.id, o.status])).toEqual([[id, 'DELIVERED']]);

      const notifications = await waitForNotifications(userId, ['welcome', 'order_confirmed', 'order_shipped', 'order_delivered']);
      expect(notifications.map((n) => n.template).sort()).toEqual(['order_confirmed', 'order_delivered', 'order_shipped', 'welcome']);
      expect(notifications.every((n) => n.userId === userId && n.status === 'sent')).toBe(true);

      // The whole saga is one correlation tree: each step caused by the event before it.
      const events = await waitForEvents(correlationId, ['OrderPlaced', 'PaymentInitiated', 'PaymentProcessed', 'OrderConfirmed']);
      const saga = events.filter((e) => ['OrderPlaced', 'PaymentInitiated', 'PaymentProcessed', 'OrderConfirmed'].includes(e.eventType));
      expect(saga.map((e) => e.eventType)).toEqual(['OrderPlaced', 'PaymentInitiated', 'PaymentProcessed', 'OrderConfirmed']);
      const [placed, initiated, processed, orderConfirmed] = saga;
      expect(saga.every((e) => e.metadata.correlationId === correlationId)).toBe(true);
      expect(placed).toMatchObject({ aggregateId: id, service: 'order-service', version: 1 });
      expect(initiated).toMatchObject({ aggregateId: confirmed.paymentId, service: 'payment-service', version: 1 });
      expect(processed).toMatchObject({ aggregateId: confirmed.paymentId, service: 'payment-service', version: 2 });
      expect(orderConfirmed).toMatchObject({ aggregateId: id, service: 'order-service', version: 2 });
      expect(initiated.metadata.causationId).toBe(placed.eventId);
      expect(processed.metadata.causationId).toBe(initiated.eventId);
      expect(orderConfirmed.metadata.causationId).toBe(processed.eventId);
      // The order_confirmed notification hangs off OrderConfirmed in the same tree.
      const confirmedNotice = notifications.find((n) => n.template === 'order_confirmed');
      expect(confirmedNotice?.causeEventId).toBe(orderConfirmed.eventId);
      // Every command on the way was audited, by the service that ran it, in the same correlation.
      const audited = await stack.until('the saga’s commands audited', async () => {
        const audits = (await eventsOf(`correlationId=${encodeURIComponent(correlationId)}`)).filter((e) => e.eventType === 'CommandAudited');
        const accepted = audits.filter((e) => e.data['outcome'] === 'accepted');
        return accepted.length >= 5 && { accepted, rejected: audits.filter((e) => e.data['outcome'] === 'rejected') };
      });
      // placeOrder retries while order-service has not yet learned of the new customer: those
      // refusals are audited too.
      expect(audited.rejected.every((e) => e.data['command'] === 'PlaceOrder' && String(e.data['reason']).includes('unknown'))).toBe(true);
      expect(audited.accepted.map((e) => `${e.service} ${e.data['command']}`).sort()).toEqual([
        'notification-service SendNotification',
        'order-service ConfirmOrder',
        'order-service PlaceOrder',
        'payment-service InitiatePayment',
        'payment-service RecordChargeOutcome',
      ]);
      // A reaction's audit record is caused by the event it reacted to, as its events are.
      const causeOf = (command: string) => audited.accepted.find((e) => e.data['command'] === command)?.metadata.causationId;
      expect(['InitiatePayment', 'RecordChargeOutcome', 'ConfirmOrder', 'SendNotification'].map(causeOf)).toEqual([placed.eventId, initiated.eventId, processed.eventId, orderConfirmed.eventId]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a POST /api/orders retried with its Idempotency-Key places one order and charges it once',
    async () => {
      const userId = await createUser('retried');
      const items = [{ sku: 'MUG-3', quantity: 1, unitPriceCents: 900 }];
      const key = { 'idempotency-key': `cart-${userId}` };
      const { id } = await placeOrder(userId, 'tok_visa', items, key);
      await waitForOrder(id, 'CONFIRMED');

      const retried = await call('POST', '/orders', { userId, items, currency: 'EUR', paymentMethod: 'tok_visa' }, key);
      expect(retried.status).toBe(202);
      expect(retried.headers.get('idempotent-replayed')).toBe('true');
      expect(retried.body).toMatchObject({ id, status: 'CONFIRMED', replayed: true });
      expect((await call('GET', `/orders?userId=${userId}`)).body.items.map((o: { id: string }) => o.id)).toEqual([id]);
      expect((await paymentsOf(id)).map((p) => p['status'])).toEqual(['processed']);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'declined card: payment failed, order cancelled (payment_failed), nothing charged, user told',
    async () => {
      const userId = await createUser('declined');
      const { id, correlationId } = await placeOrder(userId, 'tok_chargeDeclined');

      const cancelled = await waitForOrder(id, 'CANCELLED');
      expect(cancelled).toMatchObject({ cancelReason: 'payment_failed', refundDue: false });
      expect(cancelled.paymentId).toBeUndefined();

      const payment = await waitForPayment(id, 'failed');
      expect(payment).toMatchObject({ failureReason: 'card_declined', amountCents: 2500 });
      expect(payment['providerReference']).toBeUndefined();
      expect((await paymentsOf(id)).filter((p) => p['status'] === 'processed' || p['status'] === 'refunded')).toEqual([]);

      const notifications = await waitForNotifications(userId, ['welcome', 'payment_failed', 'order_cancelled']);
      expect(notifications.map((n) => n.template)).not.toContain('order_confirmed');

      const events = await waitForEvents(correlationId, ['OrderPlaced', 'PaymentInitiated', 'PaymentFailed', 'OrderCancelled']);
      expect(events.map((e) => e.eventType)).not.toContain('PaymentProcessed');
      expect(events.map((e) => e.eventType)).not.toContain('OrderConfirmed');
      const failed = only(events, 'PaymentFailed');
      expect(only(events, 'OrderCancelled').metadata.causationId).toBe(failed.eventId);
      expect(only(events, 'OrderCancelled').data).toMatchObject({ reason: 'payment_failed', refundDue: false });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a confirmed order cancelled by the customer is refunded; a shipped order cannot be cancelled (422)',
    async () => {
      const userId = await createUser('refund');
      const toCancel = await placeOrder(userId, 'tok_visa');
      const toShip = await placeOrder(userId, 'tok_visa', [{ sku: 'LAMP-7', quantity: 1, unitPriceCents: 4999 }]);

      const confirmed = await waitForOrder(toCancel.id, 'CONFIRMED');
      const cancelled = await call('POST', `/orders/${toCancel.id}/cancel`, { reason: 'changed my mind' }, { 'if-match': confirmed.etag });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ id: toCancel.id, status: 'CANCELLED', version: 3 });
      expect(await waitForOrder(toCancel.id, 'CANCELLED')).toMatchObject({ cancelReason: 'customer_request', refundDue: true });

      const refunded = await waitForPayment(toCancel.id, 'refunded');
      expect(refunded).toMatchObject({ id: confirmed.paymentId, amountCents: 2500, refundReason: 'order_cancelled' });
      expect(refunded['providerReference']).toEqual(expect.any(String));
      const notices = await waitForNotifications(userId, ['order_confirmed', 'order_cancelled', 'payment_refunded']);
      expect(notices.filter((n) => n.template === 'payment_refunded')).toHaveLength(1);
      // Cancelling again is refused, and refunds nothing twice.
      const again = await call('POST', `/orders/${toCancel.id}/cancel`, {});
      expect({ status: again.status, code: again.body?.details?.code }).toEqual({ status: 422, code: 'order_already_cancelled' });

      // The refund is caused by the cancellation (its own request, so its own correlation id).
      const cancelledEvent = (await stack.inspect(`aggregateId=${toCancel.id}&type=OrderCancelled`)).body.items[0] as InspectedEvent;
      const refundEvents = await until('PaymentRefunded in the cancellation request\'s tree', async () => {
        const events = await eventsOf(`correlationId=${encodeURIComponent(cancelledEvent.metadata.correlationId)}`);
        return events.some((e) => e.eventType === 'PaymentRefunded') ? events : false;
      });
      expect(only(refundEvents, 'PaymentRefunded').metadata.causationId).toBe(cancelledEvent.eventId);

      const shippable = await waitForOrder(toShip.id, 'CONFIRMED');
      expect((await call('POST', `/orders/${toShip.id}/ship`, undefined, { 'if-match': shippable.etag })).status).toBe(200);
      const refused = await call('POST', `/orders/${toShip.id}/cancel`, {});
      expect({ status: refused.status, body: refused.body }).toMatchObject({ status: 422, body: { statusCode: 422, details: { code: 'order_already_shipped' } } });
      expect(await waitForOrder(toShip.id, 'SHIPPED')).toMatchObject({ version: 3 });
      expect((await paymentsOf(toShip.id)).map((p) => p['status'])).toEqual(['processed']);
      expect((await paymentsOf(toCancel.id)).map((p) => p['status'])).toEqual(['refunded']);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "deleting a user cancels their open orders (user_deleted): the paid one refunded, a charge that succeeds later refunded automatically",
    async () => {
      const userId = await createUser('deleted');
      const paid = await placeOrder(userId, 'tok_visa');
      const paidConfirmed = await waitForOrder(paid.id, 'CONFIRMED');

      // tok_timeout: the sandbox answers only after its timeout delay (3 s here), so this order is
      // still PENDING when the user is deleted right after it is placed.
      const slow = await placeOrder(userId, 'tok_timeout', [{ sku: 'SLOW-1', quantity: 3, unitPriceCents: 700 }]);
      const pending = await call('GET', `/orders/${slow.id}?minVersion=1`);
      expect(pending.body).toMatchObject({ status: 'PENDING' });
      const deleteCorrelationId = `saga-e2e-delete-${randomUUID()}`;
      const deleted = await call('DELETE', `/users/${userId}`, undefined, { 'x-correlation-id': deleteCorrelationId });
      expect(deleted.status).toBe(200);

      // Both open orders are cancelled; only the paid one was owed a refund at that moment.
      expect(await waitForOrder(paid.id, 'CANCELLED')).toMatchObject({ cancelReason: 'user_deleted', refundDue: true, paymentId: paidConfirmed.paymentId });
      const slowCancelled = await waitForOrder(slow.id, 'CANCELLED');
      expect(slowCancelled).toMatchObject({ cancelReason: 'user_deleted', refundDue: false });
      expect(await waitForPayment(paid.id, 'refunded')).toMatchObject({ refundReason: 'order_cancelled', amountCents: 2500 });

      // The slow charge succeeds after the cancellation and is refunded without anyone asking.
      const lateRefund = await waitForPayment(slow.id, 'refunded');
      expect(lateRefund).toMatchObject({ refundReason: 'order_cancelled_before_payment', amountCents: 2100, paymentMethod: 'tok_timeout' });
      expect(lateRefund['providerReference']).toEqual(expect.any(String));
      // The slow payment's own stream: charged, then refunded. (Which correlation tree the refund
      // joins depends on whether the cancellation reached payment-service before or after the
      // charge was recorded; both are correct, so it is read by aggregate here.)
      const slowPayment = (await stack.inspect(`aggregateId=${lateRefund['id']}`)).body.items as InspectedEvent[];
      expect(slowPayment.filter((e) => e.eventType.startsWith('Payment')).map((e) => `${e.version} ${e.eventType}`)).toEqual(['1 PaymentInitiated', '2 PaymentProcessed', '3 PaymentRefunded']);
      expect(slowPayment.find((e) => e.eventType === 'PaymentInitiated')?.metadata.correlationId).toBe(slow.correlationId);
      const slowOrder = (await stack.inspect(`aggregateId=${slow.id}`)).body.items as InspectedEvent[];
      expect(slowOrder.filter((e) => e.eventType.startsWith('Order')).map((e) => e.eventType)).toEqual(['OrderPlaced', 'OrderCancelled']);

      // The deletion's tree: UserDeleted → both OrderCancelled → the paid order's PaymentRefunded.
      const deletion = await waitForEvents(deleteCorrelationId, ['UserDeleted', 'OrderCancelled', 'PaymentRefunded']);
      const userDeleted = only(deletion, 'UserDeleted');
      const cancellations = deletion.filter((e) => e.eventType === 'OrderCancelled');
      expect(cancellations.map((e) => e.aggregateId).sort()).toEqual([paid.id, slow.id].sort());
      expect(cancellations.every((e) => e.metadata.causationId === userDeleted.eventId)).toBe(true);
      const paidRefund = deletion.find((e) => e.eventType === 'PaymentRefunded' && e.aggregateId === paidConfirmed.paymentId);
      expect(paidRefund?.metadata.causationId).toBe(cancellations.find((e) => e.aggregateId === paid.id)?.eventId);
      // The late success changes nothing on the order: it stays cancelled, never confirmed. (No
      // read path shows when order-service consumed that PaymentProcessed; the events above and
      // this read, taken after it was stored, are the evidence.)
      expect(await getOrder(slow.id)).toMatchObject({ status: 'CANCELLED', cancelReason: 'user_deleted', version: 2 });

      const notifications = await waitForNotifications(userId, ['welcome', 'order_confirmed', 'order_cancelled', 'order_cancelled', 'payment_refunded', 'payment_refunded']);
      expect(notifications.map((n) => n.template).sort()).toEqual(['order_cancelled', 'order_cancelled', 'order_confirmed', 'payment_refunded', 'payment_refunded', 'welcome']);

      // The books balance: everything this user was charged went back.
      const charged = await call('GET', `/payments?userId=${userId}`);
      expect(charged.body.items.map((p: { orderId: string; status: string }) => `${p.orderId} ${p.status}`).sort()).toEqual([`${paid.id} refunded`, `${slow.id} refunded`].sort());

      // A deleted customer cannot order any more.
      const refused = await call('POST', '/orders', { userId, items: [{ sku: 'X', quantity: 1, unitPriceCents: 1 }], currency: 'EUR', paymentMethod: 'tok_visa' });
      expect({ status: refused.status, body: refused.body }).toMatchObject({ status: 422, body: { details: { code: 'customer_deleted' } } });
      expect((await call('GET', `/users/${userId}`)).body).toMatchObject({ status: 'deleted' });
    },
    TEST_TIMEOUT_MS,
  );
});
