import type { Settings } from '@causeway/config';
import { migrateEventStore, migrateProjections, ProjectionRunner, runMigrations, type PostgresEventStore, type Projection } from '@causeway/eventsourcing';
import { migrateMessaging, OutboxRelay } from '@causeway/messaging';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type Redis from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { ServiceDefinition } from './service-definition';
import { EVENT_STORE, KAFKA, PG_POOL, PROJECTIONS, REDIS, SERVICE, SETTINGS } from './tokens';

/**
 * Start-up and shut-down of everything a service runs besides its HTTP handlers: migrations
 * (before anything reads or writes), the outbox relay, the projections.
 */
@Injectable()
export class ServiceLifecycle implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ServiceLifecycle');
  private relay: OutboxRelay | undefined;
  private runner: ProjectionRunner | undefined;
  migrated = false;

  constructor(
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(EVENT_STORE) private readonly store: PostgresEventStore,
    @Inject(PROJECTIONS) private readonly projections: Array<Type<Projection>>,
    private readonly moduleRef: ModuleRef,
  ) {}

  async onModuleInit(): Promise<void> {
    const { schema } = this.service;
    await migrateEventStore(this.pool, { schema, partitions: this.settings.event_store.partitions });
    await migrateMessaging(this.pool, schema);
    await migrateProjections(this.pool, schema);
    if (this.service.migrations?.length) await runMigrations(this.pool, schema, this.service.name, this.service.migrations);
    this.migrated = true;
  }

  async onApplicationBootstrap(): Promise<void> {
    const connection = { connectionString: this.settings.event_store.database_url, application_name: `${this.service.name}-relay` };
    this.relay = new OutboxRelay(connection, this.kafka, {
      schema: this.service.schema,
      batchSize: this.settings.outbox.batch_size,
      pollIntervalMs: this.settings.outbox.poll_interval,
      onError: (error) => this.logger.warn(`outbox relay: ${(error as Error).message}`),
    });
    this.relay.start();
    if (this.projections.length > 0) {
      this.runner = new ProjectionRunner(this.pool, this.store, connection, {
        schema: this.service.schema,
        batchSize: this.settings.processing.batch_size,
        pollIntervalMs: this.settings.outbox.poll_interval,
        onError: (error, projection) => this.logger.error(`projection ${projection}: ${(error as Error).message}`),
      });
      for (const type of this.projections) this.runner.register(this.moduleRef.get(type, { strict: false }));
      await this.runner.start();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner?.stop();
    await this.relay?.stop();
    this.redis.disconnect();
    await this.pool.end();
  }

  get projectionRunner(): ProjectionRunner | undefined {
    return this.runner;
  }
}
