import { SandboxPaymentProvider } from './sandbox-payment-provider';

const request = (paymentMethod: string, idempotencyKey = `${paymentMethod}-${Math.random()}`) => ({ idempotencyKey, amountCents: 1_000, currency: 'EUR', paymentMethod });

describe('SandboxPaymentProvider', () => {
  it('tok_visa succeeds with a ch_ reference, after the latency', async () => {
    const provider = new SandboxPaymentProvider(30, 10_000);
    const started = performance.now();
    const outcome = await provider.charge(request('tok_visa'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(outcome).toEqual({ status: 'succeeded', providerReference: expect.stringMatching(/^ch_[0-9a-f]{24}$/) });
  });

  it('tok_chargeDeclined fails with card_declined', async () => {
    expect(await new SandboxPaymentProvider(1, 10_000).charge(request('tok_chargeDeclined'))).toEqual({ status: 'failed', reason: 'card_declined' });
  });

  it('tok_timeout succeeds only after the timeout delay', async () => {
    const provider = new SandboxPaymentProvider(1, 150);
    const started = performance.now();
    const outcome = await provider.charge(request('tok_timeout'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(outcome.status).toBe('succeeded');
  });

  it('any other payment method fails with unknown_payment_method', async () => {
    expect(await new SandboxPaymentProvider(1, 10_000).charge(request('tok_mastercard'))).toEqual({ status: 'failed', reason: 'unknown_payment_method' });
  });

  it('a repeated idempotency key returns the first outcome: one charge, one reference', async () => {
    const provider = new SandboxPaymentProvider(1, 10_000);
    const [a, b] = await Promise.all([provider.charge(request('tok_visa', 'pay-1')), provider.charge(request('tok_visa', 'pay-1'))]);
    const c = await provider.charge(request('tok_visa', 'pay-1'));
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(await provider.charge(request('tok_visa', 'pay-2'))).not.toEqual(a);
  });
});
