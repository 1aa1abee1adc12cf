import type { Projection, StoredEvent } from '@causeway/eventsourcing';
import { PG_POOL, QueryCache, rowVersions, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { userCacheKey } from '../queries/get-user/get-user.handler';
import { UserStatsRefresher } from './user-stats.refresher';

/** `users` read model, from the service's own event log. */
@Injectable()
export class UsersProjection implements Projection {
  readonly name = 'users';

  constructor(
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly cache: QueryCache,
    private readonly stats: UserStatsRefresher,
  ) {}

  async apply(event: StoredEvent, tx: PoolClient): Promise<void> {
    const s = this.service.schema;
    const data = event.data as Record<string, string | undefined>;
    switch (event.eventType) {
      case 'UserCreated':
        await tx.query(
          `INSERT INTO ${s}.users (id, email, given_name, family_name, status, version, created_at, updated_at)
           VALUES ($1, $2, $3, $4, 'active', $5, $6, $6) ON CONFLICT (id) DO NOTHING`,
          [event.aggregateId, data['email'], data['givenName'], data['familyName'], event.version, event.timestamp],
        );
        break;
      case 'UserUpdated':
        await tx.query(
          `UPDATE ${s}.users SET email = coalesce($2, email), given_name = coalesce($3, given_name), family_name = coalesce($4, family_name),
             version = $5, updated_at = $6 WHERE id = $1 AND version < $5`,
          [event.aggregateId, data['email'] ?? null, data['givenName'] ?? null, data['familyName'] ?? null, event.version, event.timestamp],
        );
        break;
      case 'UserDeleted':
        await tx.query(`UPDATE ${s}.users SET status = 'deleted', version = $2, updated_at = $3 WHERE id = $1 AND version < $2`, [event.aggregateId, event.version, event.timestamp]);
        break;
      default:
        // Audit events share the log; they are not part of this read model.
        break;
    }
  }

  async beforeCommit(events: readonly StoredEvent[]): Promise<void> {
    await this.cache.invalidate(events, 'User', userCacheKey);
  }

  async afterCommit(events: readonly StoredEvent[]): Promise<void> {
    if (events.some((e) => e.aggregateType === 'User')) this.stats.schedule();
  }

  /** A rebuild: the table is replayed from the log; the write side keeps nothing in it. */
  async reset(tx: PoolClient): Promise<void> {
    await tx.query(`DELETE FROM ${this.service.schema}.users`);
  }

  async afterRebuild(): Promise<void> {
    await this.cache.replaceRebuiltViews(userCacheKey(''), (ids) => rowVersions(this.pool, `${this.service.schema}.users`, ids));
    this.stats.schedule();
  }
}
