import { randomBytes } from 'node:crypto';
import type { ChargeOutcome, ChargeRequest, PaymentProvider } from './payment-provider.port';

/**
 * Behaves like the test mode of real providers: the payment method decides the outcome.
 *   tok_visa            succeeds (providerReference 'ch_…')
 *   tok_chargeDeclined  fails: card_declined
 *   tok_timeout         succeeds, but only after `timeoutDelayMs` (longer than the saga's payment deadline)
 *   anything else       fails: unknown_payment_method
 * Every call takes `latencyMs` first. Repeating an idempotency key returns the first outcome.
 */
export class SandboxPaymentProvider implements PaymentProvider {
  static readonly tokens = { succeeds: 'tok_visa', declined: 'tok_chargeDeclined', slow: 'tok_timeout' } as const;

  private readonly charges = new Map<string, Promise<ChargeOutcome>>();

  constructor(
    private readonly latencyMs: number,
    private readonly timeoutDelayMs: number,
  ) {}

  charge(request: ChargeRequest): Promise<ChargeOutcome> {
    const earlier = this.charges.get(request.idempotencyKey);
    if (earlier) return earlier;
    const outcome = this.decide(request);
    this.charges.set(request.idempotencyKey, outcome);
    // Bounded: a sandbox remembers recent keys, not every charge ever made.
    if (this.charges.size > MAX_REMEMBERED_KEYS) this.charges.delete(this.charges.keys().next().value as string);
    // A call that errored may be retried for real; only answers are remembered.
    outcome.catch(() => this.charges.delete(request.idempotencyKey));
    return outcome;
  }

  private async decide(request: ChargeRequest): Promise<ChargeOutcome> {
    await sleep(this.latencyMs);
    switch (request.paymentMethod) {
      case SandboxPaymentProvider.tokens.succeeds:
        return succeeded();
      case SandboxPaymentProvider.tokens.declined:
        return { status: 'failed', reason: 'card_declined' };
      case SandboxPaymentProvider.tokens.slow:
        await sleep(this.timeoutDelayMs);
        return succeeded();
      default:
        return { status: 'failed', reason: 'unknown_payment_method' };
    }
  }
}

const MAX_REMEMBERED_KEYS = 10_000;

function succeeded(): ChargeOutcome {
  return { status: 'succeeded', providerReference: `ch_${randomBytes(12).toString('hex')}` };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
