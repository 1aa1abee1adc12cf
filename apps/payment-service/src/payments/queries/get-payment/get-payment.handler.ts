import { PG_POOL, QueryCache, SERVICE, type ServiceDefinition, type ViewRead } from '@causeway/service-runtime';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Pool } from 'pg';
import { toPaymentView, type PaymentRow, type PaymentView } from '../payment.view';
import { GetPayment } from './get-payment.query';

export const paymentCacheKey = (id: string) => `payment:${id}`;

@QueryHandler(GetPayment)
export class GetPaymentHandler implements IQueryHandler<GetPayment> {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    private readonly cache: QueryCache,
  ) {}

  execute(query: GetPayment): Promise<ViewRead<PaymentView>> {
    const load = async () => {
      const { rows } = await this.pool.query<PaymentRow>(`SELECT * FROM ${this.service.schema}.payments WHERE id = $1`, [query.paymentId]);
      return rows[0] && toPaymentView(rows[0]);
    };
    return this.cache.getOrLoad(paymentCacheKey(query.paymentId), load, query.fresh);
  }
}
