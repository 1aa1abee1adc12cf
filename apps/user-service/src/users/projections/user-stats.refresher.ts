import { PG_POOL, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';

/**
 * Keeps the user_stats materialized view fresh: REFRESH ... CONCURRENTLY (reads never block),
 * debounced, so a burst of sign-ups costs one refresh, and never two refreshes at once.
 */
@Injectable()
export class UserStatsRefresher implements OnApplicationShutdown {
  static readonly debounceMs = 250;
  private readonly logger = new Logger('UserStatsRefresher');
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
  ) {}

  schedule(): void {
    if (this.refreshing) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), UserStatsRefresher.debounceMs);
  }

  async refresh(): Promise<void> {
    this.refreshing = this.pool
      .query(`REFRESH MATERIALIZED VIEW CONCURRENTLY ${this.service.schema}.user_stats`)
      .then(() => undefined)
      .catch((error: Error) => this.logger.error(`user_stats refresh failed: ${error.message}`));
    await this.refreshing;
    this.refreshing = undefined;
    if (this.again) {
      this.again = false;
      this.schedule();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    await this.refreshing;
  }
}
