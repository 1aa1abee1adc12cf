import type { EventPayload } from '@causeway/contracts';
import type { Projection, StoredEvent } from '@causeway/eventsourcing';
import { PG_POOL, QueryCache, rowVersions, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { orderCacheKey } from '../queries/get-order/get-order.handler';

/**
 * `orders` read model, from the service's own event log. Every update is guarded by the version
 * (`version < $n`), so applying an event twice changes nothing.
 */
@Injectable()
export class OrdersProjection implements Projection {
  readonly name = 'orders';

  constructor(
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly cache: QueryCache,
  ) {}

  async apply(event: StoredEvent, tx: PoolClient): Promise<void> {
    const s = this.service.schema;
    // Each transition also stamps its own time column (confirmed_at, …) with the event's timestamp.
    const transition = (status: string, stamp: string, extra = '', values: unknown[] = []) =>
      tx.query(`UPDATE ${s}.orders SET status = $4, version = $2, updated_at = $3, ${stamp} = $3${extra} WHERE id = $1 AND version < $2`, [event.aggregateId, event.version, event.timestamp, status, ...values]);
    switch (event.eventType) {
      case 'OrderPlaced': {
        const data = event.data as EventPayload<'OrderPlaced'>;
        await tx.query(
          `INSERT INTO ${s}.orders (id, user_id, status, items, total_cents, currency, payment_method, payment_deadline, version, created_at, updated_at)
           VALUES ($1, $2, 'PENDING', $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (id) DO NOTHING`,
          [event.aggregateId, data.userId, JSON.stringify(data.items), data.totalCents, data.currency, data.paymentMethod, data.paymentDeadline, event.version, event.timestamp],
        );
        break;
      }
      case 'OrderConfirmed':
        await transition('CONFIRMED', 'confirmed_at', ', payment_id = $5', [(event.data as EventPayload<'OrderConfirmed'>).paymentId]);
        break;
      case 'OrderShipped':
        await transition('SHIPPED', 'shipped_at');
        break;
      case 'OrderDelivered':
        await transition('DELIVERED', 'delivered_at');
        break;
      case 'OrderCancelled': {
        const data = event.data as EventPayload<'OrderCancelled'>;
        await transition('CANCELLED', 'cancelled_at', ', cancel_reason = $5, refund_due = $6', [data.reason, data.refundDue]);
        break;
      }
      default:
        // Audit events share the log; they are not part of this read model.
        break;
    }
  }

  async beforeCommit(events: readonly StoredEvent[]): Promise<void> {
    await this.cache.invalidate(events, 'Order', orderCacheKey);
  }

  /** A rebuild: the table is replayed from the log; the write side keeps nothing in it. */
  async reset(tx: PoolClient): Promise<void> {
    await tx.query(`DELETE FROM ${this.service.schema}.orders`);
  }

  async afterRebuild(): Promise<void> {
    await this.cache.replaceRebuiltViews(orderCacheKey(''), (ids) => rowVersions(this.pool, `${this.service.schema}.orders`, ids));
  }
}
