import type { EventPayload } from '@causeway/contracts';
import type { Projection, StoredEvent } from '@causeway/eventsourcing';
import { PG_POOL, QueryCache, rowVersions, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { paymentCacheKey } from '../queries/get-payment/get-payment.handler';

/** `payments` read model, from the service's own event log. */
@Injectable()
export class PaymentsProjection implements Projection {
  readonly name = 'payments';

  constructor(
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly cache: QueryCache,
  ) {}

  async apply(event: StoredEvent, tx: PoolClient): Promise<void> {
    const s = this.service.schema;
    // `version < $n` keeps a replayed or reordered event from moving a row backwards. Each
    // transition also records the one detail its event carries (in `column`).
    const transition = (status: string, column: string, value: unknown) =>
      tx.query(`UPDATE ${s}.payments SET status = $5, ${column} = $2, version = $3, updated_at = $4 WHERE id = $1 AND version < $3`, [event.aggregateId, value, event.version, event.timestamp, status]);
    switch (event.eventType) {
      case 'PaymentInitiated': {
        const data = event.data as EventPayload<'PaymentInitiated'>;
        await tx.query(
          `INSERT INTO ${s}.payments (id, order_id, user_id, status, amount_cents, currency, payment_method, version, created_at, updated_at)
           VALUES ($1, $2, $3, 'initiated', $4, $5, $6, $7, $8, $8) ON CONFLICT (id) DO NOTHING`,
          [event.aggregateId, data.orderId, data.userId, data.amountCents, data.currency, data.paymentMethod, event.version, event.timestamp],
        );
        break;
      }
      case 'PaymentProcessed':
        await transition('processed', 'provider_reference', (event.data as EventPayload<'PaymentProcessed'>).providerReference);
        break;
      case 'PaymentFailed':
        await transition('failed', 'failure_reason', (event.data as EventPayload<'PaymentFailed'>).reason);
        break;
      case 'PaymentRefunded':
        await transition('refunded', 'refund_reason', (event.data as EventPayload<'PaymentRefunded'>).reason);
        break;
      default:
        // Audit events share the log; they are not part of this read model.
        break;
    }
  }

  async beforeCommit(events: readonly StoredEvent[]): Promise<void> {
    await this.cache.invalidate(events, 'Payment', paymentCacheKey);
  }

  /** A rebuild: the table is replayed from the log; the write side keeps nothing in it. */
  async reset(tx: PoolClient): Promise<void> {
    await tx.query(`DELETE FROM ${this.service.schema}.payments`);
  }

  async afterRebuild(): Promise<void> {
    await this.cache.replaceRebuiltViews(paymentCacheKey(''), (ids) => rowVersions(this.pool, `${this.service.schema}.payments`, ids));
  }
}
