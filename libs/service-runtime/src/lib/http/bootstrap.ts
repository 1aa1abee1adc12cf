import { loadSettings, type Settings } from '@causeway/config';
import { KafkaEventTransport } from '@causeway/messaging';
import { JsonLogger, metrics, registry, scrapeGauge, scrapeGaugeNames } from '@causeway/observability';
import { Logger, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { DestinationStream } from 'pino';
import { ACTOR_HEADER, CORRELATION_HEADER, currentContext, runWithContext } from '../request-context';
import type { ServiceDefinition } from '../service-definition';
import { ServiceLifecycle } from '../service-lifecycle';
import { prefixedTopicOf } from '../service-runtime.module';
import { KAFKA, PG_POOL } from '../tokens';
import { ErrorFilter } from './error.filter';
import { validationPipe } from './validation';

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** What every log line carries of the request or event being handled: its correlation id, and its span when tracing is on. */
function logFields(): Record<string, string> | undefined {
  const context = currentContext();
  // Without an SDK the messaging library's consumer spans are placeholders (an all-zero id).
  const active = trace.getActiveSpan()?.spanContext();
  const span = active && isSpanContextValid(active) ? active : undefined;
  if (!context && !span) return undefined;
  return { ...(context ? { correlationId: context.correlationId } : {}), ...(span ? { traceId: span.traceId, spanId: span.spanId } : {}) };
}

export interface HttpAppOptions {
  /** The app's name on every log line (`service`). */
  name?: string;
  /** Where log lines go (stdout by default); tests capture them. */
  logDestination?: DestinationStream;
}

/**
 * The same HTTP conventions on every app: errors, validation, body limit, correlation ids, JSON
 * logs (each line of a request with its correlation id), RED metrics and GET /metrics.
 */
export async function createHttpApp(rootModule: Type<unknown> | DynamicModule, settings: Settings, options: HttpAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = new JsonLogger(options.name ?? 'causeway', settings.logging.level, logFields, options.logDestination);
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, new FastifyAdapter({ bodyLimit: settings.http.body_limit_bytes }), {
    logger,
    bodyParser: false, // the JSON parser is ours, below
  });
  app.useGlobalFilters(new ErrorFilter());
  app.useGlobalPipes(validationPipe());
  const fastify = app.getHttpAdapter().getInstance();
  // Many clients send Content-Type: application/json on a bodiless POST (e.g. /orders/:id/cancel):
  // read that as no body, not as malformed JSON. Anything else goes to Fastify's safe JSON parser.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    return parseJson(request, body.toString(), done);
  });
  // Every request runs in a context holding its correlation id: commands stamp it on their events.
  fastify.addHook('onRequest', (request, reply, done) => {
    const correlationId = header(request.headers[CORRELATION_HEADER]) || randomUUID();
    const actor = header(request.headers[ACTOR_HEADER]) || 'anonymous';
    const traceparent = header(request.headers['traceparent']);
    reply.header(CORRELATION_HEADER, correlationId);
    runWithContext({ correlationId, actor, ...(traceparent ? { traceparent } : {}) }, done);
  });
  // RED metrics by route template (never the raw URL: ids would explode the label set).
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: request.method, route, status_code: reply.statusCode });
    metrics.httpSeconds.observe({ method: request.method, route }, reply.elapsedTime / 1_000);
    done();
  });
  fastify.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  return app;
}

/** Serves the OpenAPI document generated from the app's DTOs at `path`. */
export function serveOpenApi(app: INestApplication, title: string, path: string): void {
  const document = SwaggerModule.createDocument(app, new DocumentBuilder().setTitle(title).setVersion('1').build());
  (app as NestFastifyApplication).getHttpAdapter().getInstance().get(path, (_request, reply) => {
    void reply.send(document);
  });
}

/**
 * Starts a service: HTTP API on its port, @EventPattern handlers on Kafka through
 * KafkaEventTransport, migrations first, graceful shutdown on SIGTERM.
 */
export async function bootstrapService(rootModule: Type<unknown> | DynamicModule, service: ServiceDefinition): Promise<NestFastifyApplication> {
  const settings = loadSettings();
  const app = await createHttpApp(rootModule, settings, { name: service.name });
  const groupId = `${settings.kafka.group_prefix}${service.consumerGroup}`;
  const consumerLog = new Logger('EventConsumer');
  const lifecycle = app.get(ServiceLifecycle);
  serveOpenApi(app, service.name, '/openapi.json');
  app.connectMicroservice(
    {
      strategy: new KafkaEventTransport(app.get<Kafka>(KAFKA), app.get<Pool>(PG_POOL), {
        groupId,
        schema: service.schema,
        workerThreads: settings.processing.worker_threads,
        batchSize: settings.processing.batch_size,
        processingTimeoutMs: settings.processing.processing_timeout,
        maxAttempts: settings.processing.max_retries,
        retryBackoffMs: settings.processing.retry_backoff,
        inboxRetentionMs: settings.processing.inbox_retention,
        topicOf: prefixedTopicOf(settings),
        onHandled: (event, ms) => {
          metrics.eventsConsumed.inc({ event_type: event.eventType });
          metrics.consumerSeconds.observe({ event_type: event.eventType }, ms / 1_000);
          consumerLog.debug({ msg: 'event handled', eventType: event.eventType, eventId: event.eventId, correlationId: event.metadata.correlationId, ms: Math.round(ms * 10) / 10 });
        },
        onError: (error) => {
          metrics.consumerErrors.inc({ error_type: error instanceof Error ? error.constructor.name : typeof error });
          consumerLog.warn(`handler attempt failed: ${error instanceof Error ? error.message : String(error)}`);
        },
        // Handlers run in the event's correlation: their log lines and any HTTP call carry it.
        around: (event, work) => runWithContext({ correlationId: event.metadata.correlationId, actor: service.name }, work),
        onCrashed: (error, restartInMs) => {
          metrics.consumerCrashes.inc();
          lifecycle.consumerDown = error instanceof Error ? error.message : String(error);
          consumerLog.error(`consumer stopped: ${lifecycle.consumerDown}; a new one starts in ${restartInMs} ms`);
        },
        onRecovered: () => {
          lifecycle.consumerDown = undefined;
          consumerLog.log('consumer running again');
        },
        onDeadLettered: (info) => {
          metrics.deadLettered.inc({ topic: info.topic });
          consumerLog.error({ msg: 'event dead-lettered', ...info });
        },
      }),
    },
    { inheritAppConfig: true },
  );
  app.enableShutdownHooks();
  await app.init(); // migrations run here, before any consumer or request
  await app.startAllMicroservices();
  const port = service.port(settings);
  registerConsumerLag(app.get<Kafka>(KAFKA), groupId);
  await app.listen(port, settings.http.host);
  new Logger(service.name).log(`listening on http://${settings.http.host}:${port}`);
  return app;
}

/** causeway_consumer_lag: per topic and partition, how far the group's committed offset is behind the end. */
function registerConsumerLag(kafka: Kafka, groupId: string): void {
  scrapeGauge(scrapeGaugeNames.consumerLag, 'Messages not yet consumed (committed offset behind the end), by topic and partition', ['topic', 'partition'], async (set) => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const { topic, partitions } of await admin.fetchOffsets({ groupId })) {
        const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
        for (const { partition, offset } of partitions) {
          const end = ends.get(partition) ?? 0;
          // -1: nothing committed yet; the whole partition is behind.
          set({ topic, partition }, Math.max(0, end - Math.max(0, Number(offset))));
        }
      }
    } finally {
      await admin.disconnect();
    }
  });
}
