import { DomainRuleViolation, type DomainEvent } from '@causeway/eventsourcing';
import { scenario } from '@causeway/eventsourcing/testing';
import { Order, type OrderCommand, type OrderEvent } from './order.aggregate';

const create = (id: string) => new Order(id);
const userId = '0b5e7c55-3c1f-4f61-9d7a-6a3c2f1e9b01';
const paymentId = '5d0c9a34-8f4e-4c1b-a7f2-1e2d3c4b5a69';
const deadline = '2026-11-28T12:00:30.000Z';

const place: Extract<OrderCommand, { type: 'PlaceOrder' }> = {
  type: 'PlaceOrder',
  userId,
  items: [
    { sku: 'BOOK-1', quantity: 2, unitPriceCents: 1_250 },
    { sku: 'PEN-7', quantity: 3, unitPriceCents: 199 },
  ],
  currency: 'EUR',
  paymentMethod: 'tok_visa',
  paymentDeadline: deadline,
};

/** The events of an order that reached `status`, for `given(...)`. */
function history(orderId: string, status: 'PENDING' | 'CONFIRMED' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED'): OrderEvent[] {
  const placed: OrderEvent = {
    type: 'OrderPlaced',
    data: { orderId, userId, items: place.items, totalCents: 3_097, currency: 'EUR', paymentMethod: 'tok_visa', paymentDeadline: deadline },
  };
  const confirmed: OrderEvent = { type: 'OrderConfirmed', data: { orderId, userId, paymentId, totalCents: 3_097, currency: 'EUR' } };
  const shipped: OrderEvent = { type: 'OrderShipped', data: { orderId, userId } };
  const delivered: OrderEvent = { type: 'OrderDelivered', data: { orderId, userId } };
  const cancelled: OrderEvent = { type: 'OrderCancelled', data: { orderId, userId, reason: 'customer_request', refundDue: false } };
  switch (status) {
    case 'PENDING':
      return [placed];
    case 'CONFIRMED':
      return [placed, confirmed];
    case 'SHIPPED':
      return [placed, confirmed, shipped];
    case 'DELIVERED':
      return [placed, confirmed, shipped, delivered];
    case 'CANCELLED':
      return [placed, cancelled];
  }
}

describe('Order aggregate', () => {
  describe('PlaceOrder', () => {
    it('→ OrderPlaced, PENDING, with the total computed from the items', async () => {
      const s = scenario(create);
      await s.given().when(place).then([
        {
          type: 'OrderPlaced',
          data: { orderId: s.id, userId, items: place.items, totalCents: 2 * 1_250 + 3 * 199, currency: 'EUR', paymentMethod: 'tok_visa', paymentDeadline: deadline },
        },
      ]);
    });

    it('a free item counts for 0', async () => {
      const s = scenario(create);
      const items = [{ sku: 'GIFT', quantity: 5, unitPriceCents: 0 }];
      await s.given().when({ ...place, items }).then([{ type: 'OrderPlaced', data: { orderId: s.id, userId, items, totalCents: 0, currency: 'EUR', paymentMethod: 'tok_visa', paymentDeadline: deadline } }]);
    });

    it('twice is refused', async () => {
      const s = scenario(create);
      await s.given(...history(s.id, 'PENDING')).when(place).thenRejects({ type: DomainRuleViolation, code: 'order_exists' });
    });

    it.each([
      ['no items', { items: [] }, 'order_without_items'],
      ['a zero quantity', { items: [{ sku: 'A', quantity: 0, unitPriceCents: 1 }] }, 'invalid_quantity'],
      ['a fractional quantity', { items: [{ sku: 'A', quantity: 1.5, unitPriceCents: 1 }] }, 'invalid_quantity'],
      ['a negative price', { items: [{ sku: 'A', quantity: 1, unitPriceCents: -1 }] }, 'invalid_price'],
      ['a total beyond 2^53 cents', { items: [{ sku: 'A', quantity: 1_000, unitPriceCents: Number.MAX_SAFE_INTEGER }] }, 'order_total_too_large'],
    ])('with %s is refused', async (_name, change, code) => {
      const s = scenario(create);
      await s.given().when({ ...place, ...change }).thenRejects({ type: DomainRuleViolation, code });
    });
  });

  describe('transitions', () => {
    it('ConfirmOrder on PENDING → OrderConfirmed with the payment, total and currency', async () => {
      const s = scenario(create);
      await s.given(...history(s.id, 'PENDING')).when({ type: 'ConfirmOrder', paymentId })
        .then([{ type: 'OrderConfirmed', data: { orderId: s.id, userId, paymentId, totalCents: 3_097, currency: 'EUR' } }]);
    });

    it('ShipOrder on CONFIRMED → OrderShipped', async () => {
      const s = scenario(create);
      await s.given(...history(s.id, 'CONFIRMED')).when({ type: 'ShipOrder' }).then([{ type: 'OrderShipped', data: { orderId: s.id, userId } }]);
    });

    it('DeliverOrder on SHIPPED → OrderDelivered', async () => {
      const s = scenario(create);
      await s.given(...history(s.id, 'SHIPPED')).when({ type: 'DeliverOrder' }).then([{ type: 'OrderDelivered', data: { orderId: s.id, userId } }]);
    });

    it('CancelOrder on PENDING → OrderCancelled, nothing to refund', async () => {
      const s = scenario(create);
      await s.given(...history(s.id, 'PENDING')).when({ type: 'CancelOrder', reason: 'payment_failed' })
        .then([{ type: 'OrderCancelled', data: { orderId: s.id, userId, reason: 'payment_failed', refundDue: false } }]);
    });

    it('CancelOrder on CONFIRMED → OrderCancelled with refundDue', async () => {
      const s = scenario(create);
      await s.given(...history(s.id, 'CONFIRMED')).when({ type: 'CancelOrder', reason: 'customer_request' })
        .then([{ type: 'OrderCancelled', data: { orderId: s.id, userId, reason: 'customer_request', refundDue: true } }]);
    });
  });

  describe('rejections', () => {
    type Status = Parameters<typeof history>[1] | 'none';
    const cases: Array<[OrderCommand['type'], Status, string]> = [
      ['ConfirmOrder', 'none', 'order_not_placed'],
      ['ConfirmOrder', 'CONFIRMED', 'order_already_confirmed'],
      ['ConfirmOrder', 'SHIPPED', 'order_not_pending'],
      ['ConfirmOrder', 'DELIVERED', 'order_not_pending'],
      ['ConfirmOrder', 'CANCELLED', 'order_cancelled'],
      ['ShipOrder', 'none', 'order_not_placed'],
      ['ShipOrder', 'PENDING', 'order_not_confirmed'],
      ['ShipOrder', 'SHIPPED', 'order_already_shipped'],
      ['ShipOrder', 'DELIVERED', 'order_already_shipped'],
      ['ShipOrder', 'CANCELLED', 'order_cancelled'],
      ['DeliverOrder', 'none', 'order_not_placed'],
      ['DeliverOrder', 'PENDING', 'order_not_shipped'],
      ['DeliverOrder', 'CONFIRMED', 'order_not_shipped'],
      ['DeliverOrder', 'DELIVERED', 'order_already_delivered'],
      ['DeliverOrder', 'CANCELLED', 'order_cancelled'],
      ['CancelOrder', 'none', 'order_not_placed'],
      ['CancelOrder', 'SHIPPED', 'order_already_shipped'],
      ['CancelOrder', 'DELIVERED', 'order_already_shipped'],
      ['CancelOrder', 'CANCELLED', 'order_already_cancelled'],
    ];
    const commands: Record<Exclude<OrderCommand['type'], 'PlaceOrder'>, OrderCommand> = {
      ConfirmOrder: { type: 'ConfirmOrder', paymentId },
      ShipOrder: { type: 'ShipOrder' },
      DeliverOrder: { type: 'DeliverOrder' },
      CancelOrder: { type: 'CancelOrder', reason: 'customer_request' },
    };

    it.each(cases)('%s on %s → %s', async (command, status, code) => {
      const s = scenario(create);
      const given: DomainEvent[] = status === 'none' ? [] : history(s.id, status);
      await s.given(...given).when(commands[command as keyof typeof commands]).thenRejects({ type: DomainRuleViolation, code });
    });
  });
});
