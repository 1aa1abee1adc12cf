import type { Projection, StoredEvent } from '@causeway/eventsourcing';
import { PG_POOL, QueryCache, rowVersions, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { notificationCacheKey } from '../queries/get-notification/get-notification.handler';

/** `notifications` read model, from the service's own event log. */
@Injectable()
export class NotificationsProjection implements Projection {
  readonly name = 'notifications';

  constructor(
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly cache: QueryCache,
  ) {}

  async apply(event: StoredEvent, tx: PoolClient): Promise<void> {
    if (event.eventType !== 'NotificationSent' && event.eventType !== 'NotificationFailed') return; // audit events share the log
    const data = event.data as Record<string, string | undefined>;
    await tx.query(
      `INSERT INTO ${this.service.schema}.notifications (id, user_id, template, channel, status, error, cause_event_id, version, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, error = excluded.error, version = excluded.version
         WHERE notifications.version < excluded.version`,
      [
        event.aggregateId,
        data['userId'],
        data['template'],
        data['channel'],
        event.eventType === 'NotificationSent' ? 'sent' : 'failed',
        data['error'] ?? null,
        data['causeEventId'],
        event.version,
        event.timestamp,
      ],
    );
  }

  async beforeCommit(events: readonly StoredEvent[]): Promise<void> {
    await this.cache.invalidate(events, 'Notification', notificationCacheKey);
  }

  /** A rebuild: the table is replayed from the log; the write side keeps nothing in it. */
  async reset(tx: PoolClient): Promise<void> {
    await tx.query(`DELETE FROM ${this.service.schema}.notifications`);
  }

  async afterRebuild(): Promise<void> {
    await this.cache.replaceRebuiltViews(notificationCacheKey(''), (ids) => rowVersions(this.pool, `${this.service.schema}.notifications`, ids));
  }
}
