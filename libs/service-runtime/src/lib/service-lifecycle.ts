import type { Settings } from '@causeway/config';
import { ProjectionRebuilt } from '@causeway/contracts';
import { migrateEventStore, migrateProjections, ProjectionRunner, runMigrations, uuidV5, type PostgresEventStore, type Projection, type ProjectionRebuild } from '@causeway/eventsourcing';
import { migrateMessaging, OutboxRelay } from '@causeway/messaging';
import { metrics, scrapeGauge, scrapeGaugeNames } from '@causeway/observability';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type Redis from 'ioredis';
import type { Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { ServiceDefinition } from './service-definition';
import { EVENT_STORE, KAFKA, PG_POOL, PROJECTIONS, REDIS, SERVICE, SETTINGS } from './tokens';

/** Namespace of the streams of ProjectionRebuilt events, one per service and projection. */
const PROJECTION_STREAMS = '3f0c5a52-8f1e-4c8e-9d43-2b7f6a1d9e10';

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
        onRebuilt: (rebuild, tx) => this.recordRebuild(rebuild, tx),
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
    scrapeGauge(scrapeGaugeNames.projectionLagEvents, 'Events in the log a projection has not applied yet', ['projection'], async (set) => {
      for (const row of await this.projectionLag()) set({ projection: row.name }, row.events);
    });
    scrapeGauge(scrapeGaugeNames.projectionLagSeconds, 'Age of the oldest event a projection has not applied yet (0 when caught up)', ['projection'], async (set) => {
      for (const row of await this.projectionLag()) set({ projection: row.name }, row.seconds);
    });
  }

  /** How far each projection is behind the event log: in events, and the age of the oldest one it has not applied (0 when caught up). */
  async projectionLag(): Promise<Array<{ name: string; events: number; seconds: number }>> {
    const s = this.service.schema;
    const behind = `FROM ${s}.events e WHERE (e.transaction_id, e.global_position) > (p.transaction_id, p.position)`;
    const { rows } = await this.pool.query<{ name: string; events: number; seconds: number }>(
      `SELECT p.name, (SELECT count(*)::int ${behind}) AS events,
              coalesce(extract(epoch FROM now() - (SELECT min(e.occurred_at) ${behind})), 0)::float8 AS seconds
       FROM ${s}.projection_checkpoints p`,
    );
    return rows;
  }

  /**
   * A rebuild caught up: ProjectionRebuilt (ARCHITECTURE §2, a system event) is appended in the
   * transaction of its last batch, so it is published (system_events) if and only if the rebuild
   * ended, once, whichever replica ended it.
   */
  private async recordRebuild(rebuild: ProjectionRebuild, tx: PoolClient): Promise<void> {
    const aggregateId = uuidV5(`${this.service.name}/${rebuild.projection}`, PROJECTION_STREAMS);
    const version = (await this.store.readStream(aggregateId, 0, tx)).at(-1)?.version ?? 0;
    const eventId = randomUUID();
    await this.store.append({
      aggregateId,
      aggregateType: ProjectionRebuilt.aggregateType,
      expectedVersion: version,
      transaction: tx,
      events: [
        {
          eventId,
          eventType: ProjectionRebuilt.type,
          schemaVersion: ProjectionRebuilt.schemaVersion,
          data: { projection: rebuild.projection, service: this.service.name, eventsReplayed: rebuild.eventsReplayed },
          // Nothing outside caused it but the rebuild itself: a correlation of its own.
          metadata: { correlationId: eventId, causationId: eventId, source: this.service.name },
        },
      ],
    });
    this.logger.log(`projection ${rebuild.projection} rebuilt: ${rebuild.eventsReplayed} events replayed since ${rebuild.startedAt.toISOString()}`);
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
