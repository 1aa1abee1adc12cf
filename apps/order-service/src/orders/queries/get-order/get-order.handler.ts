import { PG_POOL, QueryCache, SERVICE, type ServiceDefinition, type ViewRead } from '@causeway/service-runtime';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Pool } from 'pg';
import { toOrderView, type OrderRow, type OrderView } from '../order.view';
import { GetOrder } from './get-order.query';

export const orderCacheKey = (id: string) => `order:${id}`;

@QueryHandler(GetOrder)
export class GetOrderHandler implements IQueryHandler<GetOrder> {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    private readonly cache: QueryCache,
  ) {}

  execute(query: GetOrder): Promise<ViewRead<OrderView>> {
    const load = async () => {
      const { rows } = await this.pool.query<OrderRow>(`SELECT * FROM ${this.service.schema}.orders WHERE id = $1`, [query.orderId]);
      return rows[0] && toOrderView(rows[0]);
    };
    return this.cache.getOrLoad(orderCacheKey(query.orderId), load, query.fresh);
  }
}
