import { keysetPage, PG_POOL, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Pool } from 'pg';
import { toPaymentView } from '../payment.view';
import { ListPayments, type PaymentPage } from './list-payments.query';

/** Oldest first, keyset-paginated (keysetPage). */
@QueryHandler(ListPayments)
export class ListPaymentsHandler implements IQueryHandler<ListPayments> {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
  ) {}

  execute({ filter, limit, cursor }: ListPayments): Promise<PaymentPage> {
    const table = `${this.service.schema}.payments`;
    return keysetPage(this.pool, { table, filter: { order_id: filter.orderId, user_id: filter.userId, status: filter.status }, limit, cursor, order: 'asc' }, toPaymentView);
  }
}
