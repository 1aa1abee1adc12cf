import { repositoryProvider } from '@causeway/service-runtime';
import { Module } from '@nestjs/common';
import { CustomersModule } from '../customers/customers.module';
import { CancelCustomerOrdersHandler } from './commands/cancel-customer-orders/cancel-customer-orders.handler';
import { CancelOrderHandler } from './commands/cancel-order/cancel-order.handler';
import { ConfirmOrderHandler } from './commands/confirm-order/confirm-order.handler';
import { DeliverOrderHandler } from './commands/deliver-order/deliver-order.handler';
import { PlaceOrderHandler } from './commands/place-order/place-order.handler';
import { ShipOrderHandler } from './commands/ship-order/ship-order.handler';
import { PaymentDeadlineWatcher } from './deadlines/payment-deadline.watcher';
import { PaymentDeadlines } from './deadlines/payment-deadlines';
import { Order } from './domain/order.aggregate';
import { ORDER_REPOSITORY } from './domain/order.repository';
import { OrdersProjection } from './projections/orders.projection';
import { PaymentEventsConsumer } from './consumers/payment-events.consumer';
import { GetOrderHandler } from './queries/get-order/get-order.handler';
import { GetOrderSagaHandler } from './queries/get-order-saga/get-order-saga.handler';
import { ListOrdersHandler } from './queries/list-orders/list-orders.handler';
import { OrdersController } from './orders.controller';
import { SagaLog } from './saga/saga-log';

@Module({
  imports: [CustomersModule],
  controllers: [OrdersController, PaymentEventsConsumer],
  providers: [
    repositoryProvider(ORDER_REPOSITORY, (id) => new Order(id)),
    PlaceOrderHandler,
    ShipOrderHandler,
    DeliverOrderHandler,
    CancelOrderHandler,
    ConfirmOrderHandler,
    CancelCustomerOrdersHandler,
    GetOrderHandler,
    GetOrderSagaHandler,
    ListOrdersHandler,
    OrdersProjection,
    PaymentDeadlines,
    PaymentDeadlineWatcher,
    SagaLog,
  ],
})
export class OrdersModule {}
