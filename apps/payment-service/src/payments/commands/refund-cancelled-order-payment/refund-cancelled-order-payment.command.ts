import { Command } from '@nestjs/cqrs';
import type { Cause, ReactionResult, Transaction } from '../reaction';

/** An order was cancelled (saga step 5/6): refund its payment if it was charged, or refund it once the charge succeeds. */
export class RefundCancelledOrderPayment extends Command<ReactionResult> {
  constructor(
    readonly orderId: string,
    readonly cancelReason: string,
    /** Order-service's view: the order had been paid for. */
    readonly refundDue: boolean,
    readonly cause: Cause,
    readonly transaction: Transaction,
  ) {
    super();
  }
}
