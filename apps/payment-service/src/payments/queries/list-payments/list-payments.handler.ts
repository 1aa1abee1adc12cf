import { PG_POOL, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { BadRequestException, Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Pool } from 'pg';
import { toPaymentView, type PaymentRow } from '../payment.view';
import { ListPayments, type PaymentPage } from './list-payments.query';

interface Cursor {
  createdAt: string;
  id: string;
}

function decodeCursor(cursor: string): Cursor {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Cursor;
    if (typeof value.createdAt !== 'string' || typeof value.id !== 'string' || Number.isNaN(Date.parse(value.createdAt))) throw new Error();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value.id)) throw new Error();
    return value;
  } catch {
    throw new BadRequestException({ message: 'cursor: not a cursor this API returned', details: [{ field: 'cursor', errors: ['invalid cursor'] }] });
  }
}

/** Keyset pagination on (created_at, id): stable under concurrent inserts, no OFFSET scans. */
@QueryHandler(ListPayments)
export class ListPaymentsHandler implements IQueryHandler<ListPayments> {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
  ) {}

  async execute({ filter, limit, cursor }: ListPayments): Promise<PaymentPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.orderId) where.push(`order_id = $${params.push(filter.orderId)}`);
    if (filter.userId) where.push(`user_id = $${params.push(filter.userId)}`);
    if (filter.status) where.push(`status = $${params.push(filter.status)}`);
    if (cursor) {
      const after = decodeCursor(cursor);
      where.push(`(created_at, id) > ($${params.push(after.createdAt)}::timestamptz, $${params.push(after.id)}::uuid)`);
    }
    const { rows } = await this.pool.query<PaymentRow>(
      `SELECT * FROM ${this.service.schema}.payments ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at, id LIMIT $${params.push(limit + 1)}`,
      params,
    );
    const items = rows.slice(0, limit).map(toPaymentView);
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return last ? { items, nextCursor: Buffer.from(JSON.stringify({ createdAt: last.created_at.toISOString(), id: last.id })).toString('base64url') } : { items };
  }
}
