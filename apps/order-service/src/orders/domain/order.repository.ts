import type { AggregateRepository } from '@causeway/eventsourcing';
import type { Order } from './order.aggregate';

export const ORDER_REPOSITORY = Symbol('ORDER_REPOSITORY');
export type OrderRepository = AggregateRepository<Order>;
