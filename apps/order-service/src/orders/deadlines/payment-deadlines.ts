import { SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';

/**
 * The `payment_deadlines` table (ARCHITECTURE §5.6): when each PENDING order stops waiting for its
 * payment. Every method runs in the caller's transaction.
 *
 * Lock order: a write that moves an order out of PENDING calls `settle` BEFORE it appends its
 * event. The watcher holds the row (FOR UPDATE) from its claim until it commits its own append,
 * so such a writer waits for the watcher (and then finds the order cancelled) instead of the two
 * waiting for each other's locks.
 */
@Injectable()
export class PaymentDeadlines {
  constructor(@Inject(SERVICE) private readonly service: ServiceDefinition) {}

  /** With OrderPlaced, in its transaction. */
  async schedule(tx: PoolClient, orderId: string, dueAt: string): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.service.schema}.payment_deadlines (order_id, due_at, not_before) VALUES ($1, $2, $2) ON CONFLICT (order_id) DO NOTHING`,
      [orderId, dueAt],
    );
  }

  /** The order no longer waits for a payment (confirmed, cancelled, or expired): done. A no-op when already done or unknown. */
  async settle(tx: PoolClient, orderId: string): Promise<void> {
    await tx.query(`UPDATE ${this.service.schema}.payment_deadlines SET status = 'done', done_at = now() WHERE order_id = $1 AND status = 'pending'`, [orderId]);
  }

  /**
   * Up to `limit` pending deadlines that are due, locked for the rest of the caller's (short)
   * transaction; rows another transaction holds are skipped, so replicas share the work.
   */
  async claimDue(tx: PoolClient, limit: number): Promise<string[]> {
    const { rows } = await tx.query<{ order_id: string }>(
      `SELECT order_id FROM ${this.service.schema}.payment_deadlines WHERE status = 'pending' AND not_before <= now()
       ORDER BY not_before LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    return rows.map((r) => r.order_id);
  }

  /** Expiring failed (a concurrent write, the database): try again after a backoff that doubles per attempt. */
  async postpone(tx: PoolClient, orderId: string, error: unknown, backoffMs: number, maxBackoffMs: number): Promise<void> {
    await tx.query(
      `UPDATE ${this.service.schema}.payment_deadlines
       SET attempts = attempts + 1, last_error = $2,
           not_before = now() + make_interval(secs => least($3::double precision * power(2, attempts), $4::double precision) / 1000)
       WHERE order_id = $1 AND status = 'pending'`,
      [orderId, String((error as Error)?.message ?? error).slice(0, 1_000), backoffMs, maxBackoffMs],
    );
  }
}
