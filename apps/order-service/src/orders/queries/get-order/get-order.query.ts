import type { ViewRead } from '@causeway/service-runtime';
import { Query } from '@nestjs/cqrs';
import type { OrderView } from '../order.view';

export class GetOrder extends Query<ViewRead<OrderView>> {
  constructor(
    readonly orderId: string,
    /** Skip the cache: a read-your-writes wait needs the database's answer. */
    readonly fresh = false,
  ) {
    super();
  }
}
