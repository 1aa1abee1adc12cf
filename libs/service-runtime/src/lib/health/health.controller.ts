import { Controller, Get, HttpCode, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type Redis from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { ServiceLifecycle } from '../service-lifecycle';
import { KAFKA, PG_POOL, REDIS } from '../tokens';

type Check = () => Promise<unknown>;

function withTimeout(check: Check, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([check(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/** Liveness: the process answers. Readiness: its database, cache and broker answer, and it has migrated. */
@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(KAFKA) private readonly kafka: Kafka,
    private readonly lifecycle: ServiceLifecycle,
  ) {}

  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(): Promise<{ status: 'ok'; checks: Record<string, string> }> {
    const admin = this.kafka.admin();
    const checks: Record<string, Check> = {
      migrations: async () => {
        if (!this.lifecycle.migrated) throw new Error('not yet applied');
      },
      postgres: () => this.pool.query('SELECT 1'),
      redis: () => this.redis.ping(),
      kafka: async () => {
        await admin.connect();
        try {
          await admin.describeCluster();
        } finally {
          await admin.disconnect();
        }
      },
    };
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check, 2_000);
          return [name, 'up'] as const;
        } catch (error) {
          return [name, `down: ${(error as Error).message}`] as const;
        }
      }),
    );
    const report = Object.fromEntries(results);
    if (results.some(([, state]) => state !== 'up')) throw new ServiceUnavailableException({ message: 'not ready', details: report });
    return { status: 'ok', checks: report };
  }
}
