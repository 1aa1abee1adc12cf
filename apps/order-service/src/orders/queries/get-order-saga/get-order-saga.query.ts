import { Query } from '@nestjs/cqrs';
import type { OrderSagaView } from './order-saga.view';

/** Undefined for an order this service does not know. */
export class GetOrderSaga extends Query<OrderSagaView | undefined> {
  constructor(readonly orderId: string) {
    super();
  }
}
