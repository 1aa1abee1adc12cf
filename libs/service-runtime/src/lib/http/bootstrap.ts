import { loadSettings, type Settings } from '@causeway/config';
import { KafkaEventTransport } from '@causeway/messaging';
import { Logger, type DynamicModule, type INestApplication, type LogLevel, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { ACTOR_HEADER, CORRELATION_HEADER, runWithContext } from '../request-context';
import type { ServiceDefinition } from '../service-definition';
import { prefixedTopicOf } from '../service-runtime.module';
import { KAFKA, PG_POOL } from '../tokens';
import { ErrorFilter } from './error.filter';
import { validationPipe } from './validation';

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

const LOG_LEVELS: Record<Settings['logging']['level'], LogLevel[]> = {
  fatal: ['fatal'],
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  trace: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/** The same HTTP conventions on every app: errors, validation, body limit, correlation ids, log level. */
export async function createHttpApp(rootModule: Type<unknown> | DynamicModule, settings: Settings): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, new FastifyAdapter({ bodyLimit: settings.http.body_limit_bytes }), {
    logger: LOG_LEVELS[settings.logging.level],
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
  const app = await createHttpApp(rootModule, settings);
  serveOpenApi(app, service.name, '/openapi.json');
  app.connectMicroservice(
    {
      strategy: new KafkaEventTransport(app.get<Kafka>(KAFKA), app.get<Pool>(PG_POOL), {
        groupId: `${settings.kafka.group_prefix}${service.consumerGroup}`,
        schema: service.schema,
        workerThreads: settings.processing.worker_threads,
        batchSize: settings.processing.batch_size,
        processingTimeoutMs: settings.processing.processing_timeout,
        maxAttempts: settings.processing.max_retries,
        retryBackoffMs: settings.processing.retry_backoff,
        topicOf: prefixedTopicOf(settings),
      }),
    },
    { inheritAppConfig: true },
  );
  app.enableShutdownHooks();
  await app.init(); // migrations run here, before any consumer or request
  await app.startAllMicroservices();
  const port = service.port(settings);
  await app.listen(port, settings.http.host);
  new Logger(service.name).log(`listening on http://${settings.http.host}:${port}`);
  return app;
}
