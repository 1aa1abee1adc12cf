/** The payment provider behind a port (ARCHITECTURE §5): the sandbox today, a real provider later. */
export const PAYMENT_PROVIDER = Symbol('PAYMENT_PROVIDER');

export interface ChargeRequest {
  /**
   * The payment id. A real provider deduplicates on it, so a charge retried after a crash (the
   * outcome was never recorded) returns the first charge's outcome instead of charging again.
   */
  idempotencyKey: string;
  amountCents: number;
  currency: string;
  /** A token from the client's card form, e.g. 'tok_visa'. */
  paymentMethod: string;
}

/** A declined charge is an answer, not an error: it becomes PaymentFailed. Errors (network, 5xx) are thrown and retried. */
export type ChargeOutcome = { status: 'succeeded'; providerReference: string } | { status: 'failed'; reason: string };

export interface PaymentProvider {
  charge(request: ChargeRequest): Promise<ChargeOutcome>;
}
