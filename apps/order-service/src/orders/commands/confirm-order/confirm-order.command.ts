import { Command } from '@nestjs/cqrs';
import type { OrderCommandResult } from '../command-result';
import type { Reaction } from '../reaction';

/** PaymentProcessed → the order is paid for. Only ever a reaction: no HTTP endpoint confirms. */
export class ConfirmOrder extends Command<OrderCommandResult | undefined> {
  constructor(
    readonly orderId: string,
    readonly paymentId: string,
    readonly reaction: Reaction,
  ) {
    super();
  }
}
