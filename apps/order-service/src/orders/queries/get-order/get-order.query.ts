import { Query } from '@nestjs/cqrs';
import type { OrderView } from '../order.view';

export class GetOrder extends Query<{ order: OrderView | undefined; cached: boolean }> {
  constructor(
    readonly orderId: string,
    /** Skip the cache: a read-your-writes wait needs the database's answer. */
    readonly fresh = false,
  ) {
    super();
  }
}
