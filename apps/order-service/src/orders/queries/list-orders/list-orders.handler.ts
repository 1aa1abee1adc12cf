import { keysetPage, PG_POOL, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Pool } from 'pg';
import { toOrderView } from '../order.view';
import { ListOrders, type OrderPage } from './list-orders.query';

/** Oldest first, keyset-paginated (keysetPage). */
@QueryHandler(ListOrders)
export class ListOrdersHandler implements IQueryHandler<ListOrders> {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
  ) {}

  execute({ filter, limit, cursor }: ListOrders): Promise<OrderPage> {
    const table = `${this.service.schema}.orders`;
    return keysetPage(this.pool, { table, filter: { user_id: filter.userId, status: filter.status }, limit, cursor, order: 'asc' }, toOrderView);
  }
}
