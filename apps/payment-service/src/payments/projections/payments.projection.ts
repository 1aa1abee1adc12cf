import type { EventPayload } from '@causeway/contracts';
import type { Projection, StoredEvent } from '@causeway/eventsourcing';
import { QueryCache, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { paymentCacheKey } from '../queries/get-payment/get-payment.handler';

/** `payments` read model, from the service's own event log. */
@Injectable()
export class PaymentsProjection implements Projection {
  readonly name = 'payments';

  constructor(
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    private readonly cache: QueryCache,
  ) {}

  async apply(event: StoredEvent, tx: PoolClient): Promise<void> {
    const s = this.service.schema;
    // `version < $n` keeps a replayed or reordered event from moving a row backwards.
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
      case 'PaymentProcessed': {
        const data = event.data as EventPayload<'PaymentProcessed'>;
        await tx.query(`UPDATE ${s}.payments SET status = 'processed', provider_reference = $2, version = $3, updated_at = $4 WHERE id = $1 AND version < $3`, [
          event.aggregateId,
          data.providerReference,
          event.version,
          event.timestamp,
        ]);
        break;
      }
      case 'PaymentFailed': {
        const data = event.data as EventPayload<'PaymentFailed'>;
        await tx.query(`UPDATE ${s}.payments SET status = 'failed', failure_reason = $2, version = $3, updated_at = $4 WHERE id = $1 AND version < $3`, [
          event.aggregateId,
          data.reason,
          event.version,
          event.timestamp,
        ]);
        break;
      }
      case 'PaymentRefunded': {
        const data = event.data as EventPayload<'PaymentRefunded'>;
        await tx.query(`UPDATE ${s}.payments SET status = 'refunded', refund_reason = $2, version = $3, updated_at = $4 WHERE id = $1 AND version < $3`, [
          event.aggregateId,
          data.reason,
          event.version,
          event.timestamp,
        ]);
        break;
      }
      default:
        // Audit events share the log; they are not part of this read model.
        break;
    }
  }

  async beforeCommit(events: readonly StoredEvent[]): Promise<void> {
    await this.cache.invalidate(events, 'Payment', paymentCacheKey);
  }
}
