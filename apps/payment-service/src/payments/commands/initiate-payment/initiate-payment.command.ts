import { Command } from '@nestjs/cqrs';
import type { Cause, ReactionResult, Transaction } from '../reaction';

/** Start the payment of a placed order (saga step 2). The charge itself is made later, by the PaymentProcessor. */
export class InitiatePayment extends Command<ReactionResult> {
  constructor(
    readonly orderId: string,
    readonly userId: string,
    readonly amountCents: number,
    readonly currency: string,
    readonly paymentMethod: string,
    readonly cause: Cause,
    readonly transaction: Transaction,
  ) {
    super();
  }
}
