import { Command } from '@nestjs/cqrs';
import type { Reaction } from '../reaction';

/** UserDeleted → the user's open (PENDING or CONFIRMED) orders are cancelled; paid ones are refunded. */
export class CancelCustomerOrders extends Command<{ cancelled: string[] }> {
  constructor(
    readonly userId: string,
    readonly reaction: Reaction,
  ) {
    super();
  }
}
