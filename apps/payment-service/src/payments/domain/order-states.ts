import type { PoolClient } from 'pg';

/**
 * What payment-service knows of an order's life (from order_events). Both writers of a payment's
 * last steps take the order's row lock first — the OrderCancelled reaction and the
 * PaymentProcessor recording a charge — so "charge recorded" and "order cancelled" are ordered,
 * and whichever commits second sees the other and refunds. Without it, a success recorded
 * concurrently with a cancellation could be refunded by neither.
 */
export async function noteOrderCancelled(tx: PoolClient, schema: string, orderId: string, reason: string): Promise<void> {
  await tx.query(
    `INSERT INTO ${schema}.order_states (order_id, cancelled_at, cancel_reason) VALUES ($1, now(), $2)
     ON CONFLICT (order_id) DO UPDATE SET cancelled_at = coalesce(${schema}.order_states.cancelled_at, excluded.cancelled_at),
       cancel_reason = coalesce(${schema}.order_states.cancel_reason, excluded.cancel_reason)`,
    [orderId, reason],
  );
}

/**
 * Locks the order's row (creating it if needed) until the transaction ends, and tells whether the
 * order is cancelled. One statement: ON CONFLICT DO UPDATE waits for a transaction holding the
 * row, then locks and returns its latest committed version (a cancellation that committed
 * meanwhile is seen), which an insert followed by SELECT … FOR UPDATE did in two round trips.
 */
export async function lockOrderState(tx: PoolClient, schema: string, orderId: string): Promise<{ cancelled: boolean }> {
  const { rows } = await tx.query<{ cancelled_at: Date | null }>(
    `INSERT INTO ${schema}.order_states (order_id) VALUES ($1)
     ON CONFLICT (order_id) DO UPDATE SET order_id = excluded.order_id
     RETURNING cancelled_at`,
    [orderId],
  );
  return { cancelled: rows[0].cancelled_at != null };
}
