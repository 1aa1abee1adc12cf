import { DomainRuleViolation } from '@causeway/eventsourcing';
import { SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';

/**
 * The customers this service knows, projected from user_events (ARCHITECTURE §5.1): placing an
 * order checks it here, never by calling user-service.
 */
@Injectable()
export class CustomerDirectory {
  constructor(@Inject(SERVICE) private readonly service: ServiceDefinition) {}

  /**
   * Refuses unknown and deleted customers, and records the order as the customer's (so the
   * UserDeleted reaction finds it), in one statement. FOR SHARE makes a concurrent UserDeleted
   * wait for this order's transaction (and this one wait for it): the delete reaction then sees
   * the order.
   */
  async admitOrder(tx: PoolClient, userId: string, orderId: string): Promise<void> {
    const s = this.service.schema;
    const { rows } = await tx.query<{ status: string }>(
      `WITH customer AS (SELECT status FROM ${s}.customers WHERE user_id = $1 FOR SHARE),
            recorded AS (INSERT INTO ${s}.customer_orders (order_id, user_id) SELECT $2, $1 FROM customer WHERE status = 'active' ON CONFLICT DO NOTHING)
       SELECT status FROM customer`,
      [userId, orderId],
    );
    if (rows.length === 0) throw new DomainRuleViolation('unknown_customer', `customer ${userId} is unknown`);
    if (rows[0].status !== 'active') throw new DomainRuleViolation('customer_deleted', `customer ${userId} has been deleted`);
  }

  /** Upsert guarded by the user aggregate's version: a replayed or late event never undoes a newer one. */
  async note(tx: PoolClient, userId: string, status: 'active' | 'deleted', version: number): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.service.schema}.customers AS c (user_id, status, version, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (user_id) DO UPDATE SET status = EXCLUDED.status, version = EXCLUDED.version, updated_at = now()
       WHERE c.version < EXCLUDED.version`,
      [userId, status, version],
    );
  }

  /** The order ids a customer ever placed (written with OrderPlaced, in its transaction). */
  async ordersOf(tx: PoolClient, userId: string): Promise<string[]> {
    const { rows } = await tx.query<{ order_id: string }>(`SELECT order_id FROM ${this.service.schema}.customer_orders WHERE user_id = $1 ORDER BY order_id`, [userId]);
    return rows.map((r) => r.order_id);
  }
}
