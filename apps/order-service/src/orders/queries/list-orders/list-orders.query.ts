import { Query } from '@nestjs/cqrs';
import type { OrderStatus } from '../../domain/order.aggregate';
import type { OrderView } from '../order.view';

export interface OrderPage {
  items: OrderView[];
  /** Opaque; pass back as `cursor` for the next page. Absent on the last page. */
  nextCursor?: string;
}

export class ListOrders extends Query<OrderPage> {
  constructor(
    readonly filter: { userId?: string; status?: OrderStatus },
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}
