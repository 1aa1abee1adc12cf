import { DomainRuleViolation } from '@causeway/eventsourcing';
import { scenario } from '@causeway/eventsourcing/testing';
import { Payment, type PaymentCommand, type PaymentEvent } from './payment.aggregate';

const create = (id: string) => new Payment(id);
const orderId = '0b8a2f4e-6a43-4f7e-9d0c-1c2b3a4d5e6f';
const userId = '7a1f2c3e-1111-4c36-9f5b-0a9c7a4f5d11';

const initiate: PaymentCommand = { type: 'InitiatePayment', orderId, userId, amountCents: 2_599, currency: 'EUR', paymentMethod: 'tok_visa' };
const initiated = (paymentId: string): PaymentEvent => ({ type: 'PaymentInitiated', data: { paymentId, orderId, userId, amountCents: 2_599, currency: 'EUR', paymentMethod: 'tok_visa' } });
const processed = (paymentId: string): PaymentEvent => ({ type: 'PaymentProcessed', data: { paymentId, orderId, userId, amountCents: 2_599, currency: 'EUR', providerReference: 'ch_123' } });
const failed = (paymentId: string): PaymentEvent => ({ type: 'PaymentFailed', data: { paymentId, orderId, userId, reason: 'card_declined' } });
const refunded = (paymentId: string): PaymentEvent => ({ type: 'PaymentRefunded', data: { paymentId, orderId, userId, amountCents: 2_599, currency: 'EUR', reason: 'order_cancelled' } });

describe('Payment aggregate', () => {
  it('InitiatePayment → PaymentInitiated', async () => {
    const s = scenario(create);
    await s.given().when(initiate).then([initiated(s.id)]);
  });

  it('InitiatePayment a second time is refused (one payment per order)', async () => {
    const s = scenario(create);
    await s.given(initiated(s.id)).when(initiate).thenRejects({ type: DomainRuleViolation, code: 'payment_already_initiated' });
  });

  it('InitiatePayment with a negative or fractional amount is refused', async () => {
    await scenario(create).given().when({ ...initiate, amountCents: -1 } as PaymentCommand).thenRejects({ type: DomainRuleViolation, code: 'invalid_amount' });
    await scenario(create).given().when({ ...initiate, amountCents: 1.5 } as PaymentCommand).thenRejects({ type: DomainRuleViolation, code: 'invalid_amount' });
  });

  it('RecordPaymentProcessed on an initiated payment → PaymentProcessed with the amount and the provider reference', async () => {
    const s = scenario(create);
    await s.given(initiated(s.id)).when({ type: 'RecordPaymentProcessed', providerReference: 'ch_123' }).then([processed(s.id)]);
  });

  it('RecordPaymentFailed on an initiated payment → PaymentFailed with the reason', async () => {
    const s = scenario(create);
    await s.given(initiated(s.id)).when({ type: 'RecordPaymentFailed', reason: 'card_declined' }).then([failed(s.id)]);
  });

  it('RefundPayment on a processed payment → PaymentRefunded for the full amount', async () => {
    const s = scenario(create);
    await s.given(initiated(s.id), processed(s.id)).when({ type: 'RefundPayment', reason: 'order_cancelled' }).then([refunded(s.id)]);
  });

  it('a second RefundPayment is refused', async () => {
    const s = scenario(create);
    await s.given(initiated(s.id), processed(s.id), refunded(s.id)).when({ type: 'RefundPayment', reason: 'order_cancelled' }).thenRejects({ type: DomainRuleViolation, code: 'payment_already_refunded' });
  });

  it.each([
    ['RecordPaymentProcessed', { type: 'RecordPaymentProcessed', providerReference: 'ch_1' } as const],
    ['RecordPaymentFailed', { type: 'RecordPaymentFailed', reason: 'x' } as const],
    ['RefundPayment', { type: 'RefundPayment', reason: 'x' } as const],
  ])('%s on a payment that does not exist is refused', async (_name, command) => {
    await scenario(create).given().when(command).thenRejects({ type: DomainRuleViolation, code: 'payment_not_initiated' });
  });

  it.each([
    ['processed', (id: string) => [initiated(id), processed(id)]],
    ['failed', (id: string) => [initiated(id), failed(id)]],
    ['refunded', (id: string) => [initiated(id), processed(id), refunded(id)]],
  ])('an outcome cannot be recorded twice: RecordPaymentProcessed / RecordPaymentFailed on a %s payment are refused', async (_status, history) => {
    const s1 = scenario(create);
    await s1.given(...history(s1.id)).when({ type: 'RecordPaymentProcessed', providerReference: 'ch_2' }).thenRejects({ type: DomainRuleViolation, code: 'payment_not_pending' });
    const s2 = scenario(create);
    await s2.given(...history(s2.id)).when({ type: 'RecordPaymentFailed', reason: 'card_declined' }).thenRejects({ type: DomainRuleViolation, code: 'payment_not_pending' });
  });

  it.each([
    ['initiated', (id: string) => [initiated(id)]],
    ['failed', (id: string) => [initiated(id), failed(id)]],
  ])('RefundPayment on a %s payment is refused (nothing was charged)', async (_status, history) => {
    const s = scenario(create);
    await s.given(...history(s.id)).when({ type: 'RefundPayment', reason: 'order_cancelled' }).thenRejects({ type: DomainRuleViolation, code: 'payment_not_refundable' });
  });
});
