import { PG_POOL, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Pool } from 'pg';
import { GetUserStats, type UserStats } from './get-user-stats.query';

/** Reads the user_stats materialized view: cheap, and never blocked by its CONCURRENT refresh. */
@QueryHandler(GetUserStats)
export class GetUserStatsHandler implements IQueryHandler<GetUserStats> {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
  ) {}

  async execute(): Promise<UserStats> {
    const { rows } = await this.pool.query<{ kind: string; key: string; count: string }>(`SELECT kind, key, count FROM ${this.service.schema}.user_stats ORDER BY kind, key`);
    return {
      byStatus: { active: 0, deleted: 0, ...Object.fromEntries(rows.filter((r) => r.kind === 'status').map((r) => [r.key, Number(r.count)])) },
      signupsPerDay: rows.filter((r) => r.kind === 'signups_per_day').map((r) => ({ day: r.key, count: Number(r.count) })),
    };
  }
}
