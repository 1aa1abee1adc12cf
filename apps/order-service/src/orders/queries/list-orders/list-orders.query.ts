import type { Page } from '@causeway/service-runtime';
import { Query } from '@nestjs/cqrs';
import type { OrderStatus } from '../../domain/order.aggregate';
import type { OrderView } from '../order.view';

/** `nextCursor` is opaque: pass it back as `cursor` for the next page; absent on the last page. */
export type OrderPage = Page<OrderView>;

export class ListOrders extends Query<OrderPage> {
  constructor(
    readonly filter: { userId?: string; status?: OrderStatus },
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}
