import { Command } from '@nestjs/cqrs';
import type { ChargeOutcome } from '../../provider/payment-provider.port';
import type { ReactionResult, Transaction } from '../reaction';

/** Record what the provider answered for a payment's charge (saga step 2, second half). */
export class RecordChargeOutcome extends Command<ReactionResult> {
  constructor(
    readonly paymentId: string,
    /** The payment's order, from the charge's row: its lock is taken before the payment is read. */
    readonly orderId: string,
    readonly outcome: ChargeOutcome,
    /** The PaymentProcessor's transaction, which holds the charge's claim. */
    readonly transaction: Transaction,
  ) {
    super();
  }
}
