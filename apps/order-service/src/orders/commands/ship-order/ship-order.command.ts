import { Command } from '@nestjs/cqrs';
import type { OrderCommandResult } from '../command-result';

export class ShipOrder extends Command<OrderCommandResult> {
  constructor(
    readonly orderId: string,
    /** From If-Match: refuse the write if the order has moved on since the client read it. */
    readonly expectedVersion?: number,
  ) {
    super();
  }
}
