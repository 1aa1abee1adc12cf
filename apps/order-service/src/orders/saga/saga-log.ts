import type { EventEnvelope } from '@causeway/contracts';
import { PG_POOL, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';

/** Another service's event this service consumed for an order, as GET /orders/:id/saga shows it. */
export interface ForeignSagaStep {
  eventId: string;
  eventType: string;
  service: string;
  timestamp: string;
  correlationId: string;
  causationId: string;
}

interface SagaStepRow {
  event_id: string;
  event_type: string;
  service: string;
  occurred_at: Date;
  correlation_id: string;
  causation_id: string;
}

/**
 * The `saga_steps` table: other services' events consumed for an order (PaymentProcessed,
 * PaymentFailed). The order's own events are in its event stream; together they are its saga.
 */
@Injectable()
export class SagaLog {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
  ) {}

  /** In the consumer's inbox transaction; a redelivered event (same id) is noted once. */
  async note(tx: PoolClient, orderId: string, event: EventEnvelope): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.service.schema}.saga_steps (event_id, order_id, event_type, service, occurred_at, correlation_id, causation_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING`,
      [event.eventId, orderId, event.eventType, event.metadata.source, event.timestamp, event.metadata.correlationId, event.metadata.causationId],
    );
  }

  async stepsOf(orderId: string): Promise<ForeignSagaStep[]> {
    const { rows } = await this.pool.query<SagaStepRow>(
      `SELECT event_id, event_type, service, occurred_at, correlation_id, causation_id FROM ${this.service.schema}.saga_steps
       WHERE order_id = $1 ORDER BY occurred_at, event_id`,
      [orderId],
    );
    return rows.map((r) => ({
      eventId: r.event_id,
      eventType: r.event_type,
      service: r.service,
      timestamp: r.occurred_at.toISOString(),
      correlationId: r.correlation_id,
      causationId: r.causation_id,
    }));
  }
}
