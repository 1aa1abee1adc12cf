import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService, type HealthCheckResult, type HealthIndicatorResult } from '@nestjs/terminus';
import type Redis from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { ServiceLifecycle } from '../service-lifecycle';
import { KAFKA, PG_POOL, REDIS } from '../tokens';

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout(check: () => Promise<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS)));
  return Promise.race([check(), late]).finally(() => clearTimeout(timer));
}

/**
 * Liveness: the process answers. Readiness (@nestjs/terminus): its database, cache and broker
 * answer now, it has migrated, and its Kafka consumer runs; asked afresh on every probe, so it
 * turns false when one goes away and true again when it is back, without a restart.
 */
@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(KAFKA) private readonly kafka: Kafka,
    private readonly lifecycle: ServiceLifecycle,
  ) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 with terminus' report; 503 with the API's error body, each dependency's state in `details`. */
  @Get('ready')
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.indicate('migrations', async () => {
          if (!this.lifecycle.migrated) throw new Error('not yet applied');
        }),
        () => this.indicate('postgres', () => this.pool.query('SELECT 1')),
        () => this.indicate('redis', () => this.redis.ping()),
        () => this.indicate('kafka', () => this.kafkaAnswers()),
        () => this.indicate('consumer', async () => {
          if (this.lifecycle.consumerDown) throw new Error(`stopped, restarting: ${this.lifecycle.consumerDown}`);
        }),
      ]);
    } catch (error) {
      const report = (error as { response?: HealthCheckResult }).response;
      if (!report?.details) throw error;
      throw new ServiceUnavailableException({ message: 'not ready', details: report.details });
    }
  }

  private async indicate(key: string, check: () => Promise<unknown>): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    try {
      await withTimeout(check);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }

  private async kafkaAnswers(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.describeCluster();
    } finally {
      await admin.disconnect();
    }
  }
}
