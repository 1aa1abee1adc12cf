import { loadSettings, type Settings } from '@causeway/config';
import { topicOf } from '@causeway/contracts';
import { AggregateRepository, catalogSchemas, GENERIC_PLAN_OPTIONS, PostgresEventStore, refuseNestedConnections, type Aggregate, type DomainEvent, type Projection } from '@causeway/eventsourcing';
import { kafkaConnection } from '@causeway/messaging';
import { observeCommitted } from '@causeway/observability';
import { Logger, Module, type DynamicModule, type Type } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { TerminusModule } from '@nestjs/terminus';
import Redis from 'ioredis';
import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import { Pool } from 'pg';
import { AuditTrail } from './audit/audit-trail';
import { QueryCache } from './cache/query-cache';
import { EventsController } from './events/events.controller';
import { HealthController } from './health/health.controller';
import { ProjectionsController } from './projections/projections.controller';
import type { ServiceDefinition } from './service-definition';
import { ServiceLifecycle } from './service-lifecycle';
import { EVENT_STORE, KAFKA, PG_POOL, PROJECTIONS, REDIS, SERVICE, SETTINGS } from './tokens';

export interface ServiceRuntimeOptions {
  /** Read models fed from the service's own event log. */
  projections?: Array<Type<Projection>>;
  /** Tests pass settings; services load config/causeway.tsk + environment. */
  settings?: Settings;
  /** Tests publish to topics of their own; services use the contracts' topics. */
  topicOf?: (eventType: string) => string;
}

const kafkaLogger = new Logger('kafkajs');
const postgresLogger = new Logger('PostgreSQL');
function kafkaLogCreator() {
  return ({ level, log }: LogEntry) => {
    const { message, ...extra } = log;
    const line = `${message} ${JSON.stringify(extra)}`;
    if (level === logLevel.ERROR) kafkaLogger.error(line);
    else if (level === logLevel.WARN) kafkaLogger.warn(line);
  };
}

/**
 * Everything a Causeway service stands on, wired once: settings, PostgreSQL pool and event store
 * in the service's schema, Redis, Kafka, CQRS buses, migrations, outbox relay, projections,
 * query cache, audit trail, health endpoints.
 */
@Module({})
export class ServiceRuntimeModule {
  static register(service: ServiceDefinition, options: ServiceRuntimeOptions = {}): DynamicModule {
    return {
      module: ServiceRuntimeModule,
      global: true,
      imports: [CqrsModule.forRoot(), TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController, EventsController, ProjectionsController],
      providers: [
        { provide: SERVICE, useValue: service },
        { provide: PROJECTIONS, useValue: options.projections ?? [] },
        { provide: SETTINGS, useFactory: () => options.settings ?? loadSettings() },
        {
          provide: PG_POOL,
          inject: [SETTINGS],
          useFactory: (settings: Settings) => {
            const pool = new Pool({
              connectionString: settings.event_store.database_url,
              max: settings.event_store.pool_size,
              connectionTimeoutMillis: settings.event_store.pool_timeout,
              application_name: service.name,
              options: GENERIC_PLAN_OPTIONS,
            });
            // A connection the server dropped (a restart, a failover, an idle timeout) is reported
            // as an 'error' event: by the pool for an idle one (it discards it and opens another
            // when needed), by the client itself for one checked out. Unheard, either would end the
            // process; heard, the checked-out client's next query fails and its holder handles that.
            pool.on('connect', (client) => client.on('error', (error) => postgresLogger.warn(`connection lost: ${error.message}`)));
            pool.on('error', () => undefined); // the client's own listener above has logged it
            return refuseNestedConnections(pool);
          },
        },
        {
          provide: REDIS,
          inject: [SETTINGS],
          // No offline queue and one try per command: with Redis down, cache calls fail fast and reads fall back to the database.
          useFactory: (settings: Settings) => {
            const redis = new Redis(settings.redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1_000, retryStrategy: (n) => Math.min(n * 200, 2_000) });
            redis.on('error', () => undefined); // reported by QueryCache and /health/ready
            return redis;
          },
        },
        {
          provide: KAFKA,
          inject: [SETTINGS],
          useFactory: (settings: Settings) =>
            new Kafka({ clientId: `${settings.kafka.client_id}-${service.name}`, ...kafkaConnection(settings.kafka), logLevel: logLevel.WARN, logCreator: kafkaLogCreator }),
        },
        {
          provide: EVENT_STORE,
          inject: [PG_POOL, SETTINGS],
          useFactory: (pool: Pool, settings: Settings) =>
            new PostgresEventStore(pool, {
              schema: service.schema,
              schemas: { ...catalogSchemas, topic: options.topicOf ?? prefixedTopicOf(settings) },
              onCommitted: (events) => events.forEach(observeCommitted),
            }),
        },
        { provide: QueryCache, inject: [REDIS, SETTINGS], useFactory: (redis: Redis, settings: Settings) => new QueryCache(redis, service.name, settings.redis.cache_ttl) },
        { provide: AuditTrail, inject: [EVENT_STORE], useFactory: (store: PostgresEventStore) => new AuditTrail(store, service.name) },
        ServiceLifecycle,
      ],
      exports: [SERVICE, SETTINGS, PG_POOL, REDIS, KAFKA, EVENT_STORE, QueryCache, AuditTrail, ServiceLifecycle, CqrsModule],
    };
  }
}

/** The contracts' topic of an event type, under the configured kafka.topic_prefix. */
export function prefixedTopicOf(settings: Settings): (eventType: string) => string {
  return (eventType) => `${settings.kafka.topic_prefix}${topicOf(eventType)}`;
}

/** A repository provider for an aggregate, with the service's snapshot interval. */
export function repositoryProvider<A extends Aggregate<unknown, unknown, DomainEvent>>(token: symbol | Type<unknown>, create: (id: string) => A) {
  return {
    provide: token,
    inject: [EVENT_STORE, SETTINGS],
    useFactory: (store: PostgresEventStore, settings: Settings) =>
      new AggregateRepository<A>(store, create, {
        schemas: catalogSchemas,
        snapshotInterval: settings.event_store.snapshot_interval,
        onSnapshotError: (error, id) => new Logger('Snapshots').warn(`snapshot of ${id} failed: ${(error as Error).message}`),
      }),
  };
}
