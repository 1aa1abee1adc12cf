import type { Settings } from '@causeway/config';
import { migrateEventStore, migrateProjections, ProjectionRunner, runMigrations, type PostgresEventStore, type Projection } from '@causeway/eventsourcing';
import { migrateMessaging, OutboxRelay } from '@causeway/messaging';
import { metrics, scrapeGauge, scrapeGaugeNames } from '@causeway/observability';
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
  private stopWakingRelay: (() => void) | undefined;
  private runner: ProjectionRunner | undefined;
  migrated = false;
  /** Why the Kafka consumer is not running, between a crash and the restart that brings it back. */
  consumerDown: string | undefined;

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
      onPublished: (count) => metrics.eventsPublished.inc(count),
    });
    this.relay.start();
    // This process's appends wake its relay by a call, not by NOTIFY, while it is the active one.
    this.stopWakingRelay = this.store.wakeOnAppend(this.relay);
    this.registerLagGauges();
    if (this.projections.length > 0) {
      this.runner = new ProjectionRunner(this.pool, this.store, connection, {
        schema: this.service.schema,
        batchSize: this.settings.processing.batch_size,
        pollIntervalMs: this.settings.outbox.poll_interval,
        onError: (error, projection) => this.logger.error(`projection ${projection}: ${(error as Error).message}`),
        onProjected: (projection, events) => metrics.eventsProjected.inc({ projection }, events.length),
      });
      for (const type of this.projections) this.runner.register(this.moduleRef.get(type, { strict: false }));
      await this.runner.start();
    }
  }

  /**
   * Read at scrape time from the database: the outbox backlog and the age of its oldest row, and
   * how far each projection is behind the event log, in events and in seconds (the age of the
   * oldest event it has not applied yet; 0 when it is caught up), and the age of the oldest
   * prepared (two-phase) transaction in the database: one left behind holds every projection of
   * the database back until it is committed or rolled back, and no session shows it.
   */
  private registerLagGauges(): void {
    const s = this.service.schema;
    scrapeGauge(scrapeGaugeNames.outboxBacklog, 'Outbox rows not yet published', [], async (set) => {
      const { rows } = await this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${s}.outbox WHERE published_at IS NULL`);
      set({}, rows[0].n);
    });
    scrapeGauge(scrapeGaugeNames.outboxOldestAge, 'Age of the oldest unpublished outbox row (0 when none)', [], async (set) => {
      const { rows } = await this.pool.query<{ age: number }>(`SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age FROM ${s}.outbox WHERE published_at IS NULL`);
      set({}, rows[0].age);
    });
    scrapeGauge(scrapeGaugeNames.preparedTransactionAge, 'Age of the oldest prepared transaction in the service’s database (0 when none)', [], async (set) => {
      const { rows } = await this.pool.query<{ age: number }>(`SELECT coalesce(extract(epoch FROM now() - min(prepared)), 0)::float8 AS age FROM pg_prepared_xacts WHERE database = current_database()`);
      set({}, rows[0].age);
    });
    if (this.projections.length === 0) return;
    const behind = `FROM ${s}.events e WHERE (e.transaction_id, e.global_position) > (p.transaction_id, p.position)`;
    const lag = async () =>
      (
        await this.pool.query<{ name: string; events: number; seconds: number }>(
          `SELECT p.name, (SELECT count(*)::int ${behind}) AS events,
                  coalesce(extract(epoch FROM now() - (SELECT min(e.occurred_at) ${behind})), 0)::float8 AS seconds
           FROM ${s}.projection_checkpoints p`,
        )
      ).rows;
    scrapeGauge(scrapeGaugeNames.projectionLagEvents, 'Events in the log a projection has not applied yet', ['projection'], async (set) => {
      for (const row of await lag()) set({ projection: row.name }, row.events);
    });
    scrapeGauge(scrapeGaugeNames.projectionLagSeconds, 'Age of the oldest event a projection has not applied yet (0 when caught up)', ['projection'], async (set) => {
      for (const row of await lag()) set({ projection: row.name }, row.seconds);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner?.stop();
    this.stopWakingRelay?.();
    await this.relay?.stop();
    this.redis.disconnect();
    await this.pool.end();
  }

  get projectionRunner(): ProjectionRunner | undefined {
    return this.runner;
  }
}
