import { Command } from '@nestjs/cqrs';
import type { CancellationReason } from '../../domain/order.aggregate';
import type { OrderCommandResult } from '../command-result';
import type { Reaction } from '../reaction';

export class CancelOrder extends Command<OrderCommandResult | undefined> {
  constructor(
    readonly orderId: string,
    readonly reason: CancellationReason,
    /** From If-Match: refuse the write if the order has moved on since the client read it. */
    readonly expectedVersion?: number,
    /**
     * Set when another service's event causes the cancellation: it then applies only in the
     * statuses `automaticCancellations` gives for the reason, and otherwise does nothing
     * (returning undefined).
     */
    readonly reaction?: Reaction,
  ) {
    super();
  }
}
