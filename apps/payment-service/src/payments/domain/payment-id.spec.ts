import { paymentIdFor } from './payment-id';

describe('payment ids', () => {
  it('one order always gets the same payment id, another order a different one', () => {
    const orderId = '0b8a2f4e-6a43-4f7e-9d0c-1c2b3a4d5e6f';
    expect(paymentIdFor(orderId)).toBe(paymentIdFor(orderId.toUpperCase()));
    expect(paymentIdFor(orderId)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(paymentIdFor('1b8a2f4e-6a43-4f7e-9d0c-1c2b3a4d5e6f')).not.toBe(paymentIdFor(orderId));
  });
});
