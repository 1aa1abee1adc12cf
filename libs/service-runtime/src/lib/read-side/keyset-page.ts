import { BadRequestException } from '@nestjs/common';
import type { Pool } from 'pg';

/** A page of a list endpoint (ARCHITECTURE §7): `nextCursor` is there when more follow. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface KeysetQuery {
  /** Schema-qualified read-model table (from code, never from input). */
  table: string;
  /** Column → value; undefined values are left out. Column names come from code, values are bound. */
  filter: Record<string, unknown>;
  limit: number;
  cursor?: string;
  /** 'asc': oldest first; 'desc': newest first, so rows inserted meanwhile land before page one, never inside a later page. */
  order: 'asc' | 'desc';
}

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

function encodeCursor(row: { created_at: Date; id: string }): string {
  return Buffer.from(JSON.stringify({ createdAt: row.created_at.toISOString(), id: row.id } satisfies Cursor)).toString('base64url');
}

/**
 * One page of a read model by keyset pagination on (created_at, id): a stable order under
 * concurrent inserts and no OFFSET scans. The cursor is opaque to clients (base64url JSON).
 */
export async function keysetPage<Row extends { created_at: Date; id: string }, View>(pool: Pool, query: KeysetQuery, toView: (row: Row) => View): Promise<Page<View>> {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const [column, value] of Object.entries(query.filter)) if (value !== undefined) where.push(`${column} = $${params.push(value)}`);
  if (query.cursor) {
    const from = decodeCursor(query.cursor);
    const after = query.order === 'asc' ? '>' : '<';
    where.push(`(created_at, id) ${after} ($${params.push(from.createdAt)}::timestamptz, $${params.push(from.id)}::uuid)`);
  }
  const direction = query.order === 'asc' ? 'ASC' : 'DESC';
  const { rows } = await pool.query<Row>(
    `SELECT * FROM ${query.table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY created_at ${direction}, id ${direction} LIMIT $${params.push(query.limit + 1)}`,
    params,
  );
  const items = rows.slice(0, query.limit).map(toView);
  return rows.length > query.limit ? { items, nextCursor: encodeCursor(rows[query.limit - 1]) } : { items };
}
