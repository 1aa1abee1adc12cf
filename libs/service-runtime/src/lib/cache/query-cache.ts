import { metrics } from '@causeway/observability';
import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';

export interface CacheStats {
  hits: number;
  misses: number;
  errors: number;
}

/**
 * Cache-aside over Redis for query results (ARCHITECTURE §6). Redis is an optimisation: when it
 * is down or slow, reads go to the database and the request still succeeds.
 */
export class QueryCache {
  private readonly logger = new Logger('QueryCache');
  readonly stats: CacheStats = { hits: 0, misses: 0, errors: 0 };

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {}

  /** A TTL of 0 (settings: redis.cache_ttl "0s") turns the cache off: every read goes to the database. */
  async getOrLoad<T>(key: string, load: () => Promise<T | undefined>): Promise<{ value: T | undefined; cached: boolean }> {
    if (this.ttlMs === 0) return { value: await load(), cached: false };
    const fullKey = `${this.prefix}:${key}`;
    try {
      const hit = await this.redis.get(fullKey);
      if (hit !== null) {
        this.stats.hits++;
        metrics.cacheRequests.inc({ result: 'hit' });
        return { value: JSON.parse(hit) as T, cached: true };
      }
    } catch (error) {
      this.degraded(error);
      return { value: await load(), cached: false };
    }
    this.stats.misses++;
    metrics.cacheRequests.inc({ result: 'miss' });
    const value = await load();
    if (value !== undefined) {
      await this.redis.set(fullKey, JSON.stringify(value), 'PX', this.ttlMs).catch((error: unknown) => this.degraded(error));
    }
    return { value, cached: false };
  }

  async invalidate(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    // A failed invalidation could serve stale data until the TTL: report it loudly.
    await this.redis.del(...keys.map((k) => `${this.prefix}:${k}`)).catch((error: unknown) => {
      this.stats.errors++;
      this.logger.error(`cache invalidation failed for ${keys.join(', ')}: ${(error as Error).message}`);
    });
  }

  private degraded(error: unknown): void {
    this.stats.errors++;
    metrics.cacheRequests.inc({ result: 'error' });
    this.logger.warn(`Redis unavailable, reading from the database: ${(error as Error).message}`);
  }
}
