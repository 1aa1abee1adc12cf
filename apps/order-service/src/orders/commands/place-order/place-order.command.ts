import { Command } from '@nestjs/cqrs';
import type { OrderItem } from '../../domain/order.aggregate';
import type { OrderCommandResult } from '../command-result';

export class PlaceOrder extends Command<OrderCommandResult> {
  constructor(
    readonly orderId: string,
    readonly userId: string,
    readonly items: OrderItem[],
    readonly currency: string,
    readonly paymentMethod: string,
    /** Given with an Idempotency-Key (orderId derives from it): a repeat answers with the order placed first. */
    readonly idempotent = false,
  ) {
    super();
  }
}
