import { randomUUID } from 'node:crypto';
import { formatMoney, renderTemplate } from './notification-templates';

const userId = randomUUID();
const orderId = '3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b';
const paymentId = randomUUID();

describe('notification templates (pure rendering from the cause event data)', () => {
  it('welcome greets the user by given name and names the account', () => {
    expect(renderTemplate({ template: 'welcome', data: { userId, email: 'ada@example.com', givenName: 'Ada', familyName: 'Lovelace' } })).toEqual({
      subject: 'Welcome to Causeway, Ada',
      body: 'Hello Ada,\n\nyour account (ada@example.com) is ready. Welcome aboard!',
    });
  });

  it.each([
    ['payment_failed', 'the payment failed', false],
    ['payment_timeout', 'no payment arrived in time', false],
    ['customer_request', 'you asked us to cancel it', true],
    ['user_deleted', 'your account was closed', true],
  ] as const)('order_cancelled (%s) explains the reason and mentions a refund only when one is due', (reason, explanation, refundDue) => {
    const { subject, body } = renderTemplate({ template: 'order_cancelled', data: { orderId, userId, reason, refundDue } });
    expect(subject).toBe('Order 3f2a9c1e cancelled');
    expect(body).toContain(explanation);
    expect(body).toContain(`(reason: ${reason})`);
    expect(body.includes('refunded')).toBe(refundDue);
  });

  it('order_confirmed, payment_refunded show money in the currency', () => {
    expect(renderTemplate({ template: 'order_confirmed', data: { orderId, userId, paymentId, totalCents: 12_345, currency: 'EUR' } }).body).toContain('EUR 123.45');
    expect(renderTemplate({ template: 'payment_refunded', data: { orderId, userId, paymentId, amountCents: 500, currency: 'USD', reason: 'order_cancelled' } })).toEqual({
      subject: 'Refund for order 3f2a9c1e',
      body: `We refunded USD 5.00 for your order ${orderId} (order_cancelled).`,
    });
  });

  it('order_shipped, order_delivered, payment_failed name the order', () => {
    expect(renderTemplate({ template: 'order_shipped', data: { orderId, userId } }).subject).toBe('Order 3f2a9c1e shipped');
    expect(renderTemplate({ template: 'order_delivered', data: { orderId, userId } }).subject).toBe('Order 3f2a9c1e delivered');
    expect(renderTemplate({ template: 'payment_failed', data: { orderId, userId, paymentId, reason: 'card declined' } }).body).toBe(`We could not take the payment for your order ${orderId}: card declined.`);
  });

  it('formats minor units with the currency’s own decimals', () => {
    expect(formatMoney(1_999, 'EUR')).toBe('EUR 19.99');
    expect(formatMoney(0, 'GBP')).toBe('GBP 0.00');
    expect(formatMoney(1_500, 'JPY')).toBe('JPY 1500');
  });
});
