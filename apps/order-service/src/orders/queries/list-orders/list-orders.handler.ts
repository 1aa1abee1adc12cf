import { PG_POOL, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { BadRequestException, Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Pool } from 'pg';
import { toOrderView, type OrderRow } from '../order.view';
import { ListOrders, type OrderPage } from './list-orders.query';

interface Cursor {
  createdAt: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function decodeCursor(cursor: string): Cursor {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Cursor;
    if (typeof value.createdAt !== 'string' || typeof value.id !== 'string' || !UUID.test(value.id) || Number.isNaN(Date.parse(value.createdAt))) throw new Error();
    return value;
  } catch {
    throw new BadRequestException({ message: 'cursor: not a cursor this API returned', details: [{ field: 'cursor', errors: ['invalid cursor'] }] });
  }
}

/** Keyset pagination on (created_at, id): stable under concurrent inserts, no OFFSET scans. */
@QueryHandler(ListOrders)
export class ListOrdersHandler implements IQueryHandler<ListOrders> {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
  ) {}

  async execute({ filter, limit, cursor }: ListOrders): Promise<OrderPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.userId) where.push(`user_id = $${params.push(filter.userId)}`);
    if (filter.status) where.push(`status = $${params.push(filter.status)}`);
    if (cursor) {
      const after = decodeCursor(cursor);
      where.push(`(created_at, id) > ($${params.push(after.createdAt)}::timestamptz, $${params.push(after.id)}::uuid)`);
    }
    const { rows } = await this.pool.query<OrderRow>(
      `SELECT * FROM ${this.service.schema}.orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at, id LIMIT $${params.push(limit + 1)}`,
      params,
    );
    const items = rows.slice(0, limit).map(toOrderView);
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return last ? { items, nextCursor: Buffer.from(JSON.stringify({ createdAt: last.created_at.toISOString(), id: last.id })).toString('base64url') } : { items };
  }
}
