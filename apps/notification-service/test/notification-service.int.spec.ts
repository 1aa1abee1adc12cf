import { topicOf, type CatalogEvent, type EventType } from '@causeway/contracts';
import type { PostgresEventStore } from '@causeway/eventsourcing';
import { KafkaEventTransport, toKafkaMessage, type DeadLetterInfo } from '@causeway/messaging';
import { createHttpApp, ErrorFilter, EVENT_STORE, PG_POOL, QueryCache, validationPipe } from '@causeway/service-runtime';
import { testSettings, uniqueName, waitFor } from '@causeway/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { AppModule } from '../src/app.module';
import { NOTIFICATION_CHANNEL, type NotificationChannel } from '../src/notifications/channels/notification-channel.port';
import { NOTIFICATION_TRIGGERS } from '../src/notifications/consumers/notification-triggers.consumer';
import { notificationIdFor } from '../src/notifications/domain/notification-id';

const settings = testSettings();
const kafka = new Kafka({ clientId: 'notification-service-it', brokers: settings.kafka.brokers, logLevel: logLevel.NOTHING });
const consumedTopics = [...new Set(NOTIFICATION_TRIGGERS.map((type) => topicOf(type)))];

interface HttpResponse {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(): any;
}

interface Harness {
  app: NestFastifyApplication;
  schema: string;
  pool: Pool;
  deadLettered: DeadLetterInfo[];
  handlerErrors: unknown[];
  produce(event: CatalogEvent, key?: string): Promise<void>;
  http(url: string): Promise<HttpResponse>;
  dispose(): Promise<void>;
}

/**
 * The service in-process on its own schema and its own topics (`<topic>_<suffix>`, never the
 * shared ones), its consumer connected through KafkaEventTransport with a topicOf override.
 * `channel` replaces the channel provider (Nest testing module override).
 */
async function startService(channel?: NotificationChannel): Promise<Harness> {
  const schema = uniqueName('notif_it');
  const suffix = uniqueName('t');
  const topics = consumedTopics.flatMap((t) => [`${t}_${suffix}`, `${t}_${suffix}.dlq`]);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 2 })) });
  await admin.disconnect();

  let app: NestFastifyApplication;
  if (channel) {
    const module = await Test.createTestingModule({ imports: [AppModule.register({ schema, settings })] })
      .overrideProvider(NOTIFICATION_CHANNEL)
      .useValue(channel)
      .compile();
    app = module.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: ['error'] });
    app.useGlobalFilters(new ErrorFilter());
    app.useGlobalPipes(validationPipe());
  } else {
    app = await createHttpApp(AppModule.register({ schema, settings }), settings);
  }
  const deadLettered: DeadLetterInfo[] = [];
  const handlerErrors: unknown[] = [];
  const pool = app.get<Pool>(PG_POOL);
  app.connectMicroservice({
    strategy: new KafkaEventTransport(kafka, pool, {
      groupId: uniqueName('notif_it_group'), schema, workerThreads: 2, batchSize: 10, processingTimeoutMs: 5_000, maxAttempts: 2, retryBackoffMs: 10,
      topicOf: (type) => `${topicOf(type)}_${suffix}`,
      onDeadLettered: (info) => deadLettered.push(info),
      onError: (error) => handlerErrors.push(error),
    }),
  });
  await app.init();
  await app.startAllMicroservices();
  await app.getHttpAdapter().getInstance().ready();

  const producer: Producer = kafka.producer();
  await producer.connect();
  return {
    app,
    schema,
    pool,
    deadLettered,
    handlerErrors,
    produce: async (event, key) => {
      await producer.send({ topic: `${topicOf(event.eventType)}_${suffix}`, acks: -1, messages: [{ ...toKafkaMessage(event), ...(key ? { key } : {}) }] });
    },
    http: async (url) => app.getHttpAdapter().getInstance().inject({ method: 'GET', url }),
    dispose: async () => {
      await producer.disconnect();
      await app.close(); // the pool ends here: drop the schema through a fresh one
      const cleanup = kafka.admin();
      await cleanup.connect();
      await cleanup.deleteTopics({ topics }).catch(() => undefined);
      await cleanup.disconnect();
      const admin = new Pool({ connectionString: settings.event_store.database_url });
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/** A valid envelope at the contract's current schema version. */
function envelope<T extends EventType>(eventType: T, aggregateType: string, aggregateId: string, schemaVersion: number, data: object): CatalogEvent<T> {
  return {
    eventId: randomUUID(), eventType, aggregateType, aggregateId, version: 1, timestamp: new Date().toISOString(), schemaVersion,
    data, metadata: { correlationId: randomUUID(), causationId: randomUUID(), source: 'notification-service-it' },
  } as unknown as CatalogEvent<T>;
}

const userCreated = (userId: string, givenName = 'Ada') =>
  envelope('UserCreated', 'User', userId, 2, { userId, email: `${givenName.toLowerCase()}.${userId.slice(0, 8)}@example.com`, givenName, familyName: 'Lovelace' });
const orderEvent = <T extends 'OrderCancelled' | 'OrderShipped' | 'OrderDelivered' | 'OrderConfirmed'>(type: T, orderId: string, data: object) =>
  envelope(type, 'Order', orderId, 1, { orderId, ...data });

describe('notification-service (real PostgreSQL, Kafka, Redis)', () => {
  let svc: Harness;

  beforeAll(async () => {
    svc = await startService();
  });

  afterAll(async () => {
    await svc?.dispose();
  });

  const deliveriesOf = async (notificationId: string) =>
    (await svc.pool.query(`SELECT * FROM ${svc.schema}.deliveries WHERE notification_id = $1`, [notificationId])).rows;
  const delivered = (notificationId: string) => waitFor(`delivery of ${notificationId}`, async () => (await deliveriesOf(notificationId))[0], { timeoutMs: 30_000 });

  it('UserCreated → a welcome delivery, NotificationSent caused by it, visible in GET /notifications?userId= and GET /notifications/:id (ETag, cache)', async () => {
    const userId = randomUUID();
    const event = userCreated(userId, 'Grace');
    await svc.produce(event);
    const id = notificationIdFor(event.eventId);

    const delivery = await delivered(id);
    expect(delivery).toMatchObject({ user_id: userId, channel: 'recording', template: 'welcome', subject: 'Welcome to Causeway, Grace' });
    expect(delivery.body).toContain(event.data.email);

    const [sent] = await svc.app.get<PostgresEventStore>(EVENT_STORE).readStream(id);
    expect(sent).toMatchObject({
      eventType: 'NotificationSent', aggregateType: 'Notification', version: 1,
      data: { notificationId: id, userId, channel: 'recording', template: 'welcome', causeEventId: event.eventId },
      metadata: { correlationId: event.metadata.correlationId, causationId: event.eventId, source: 'notification-service' },
    });

    const list = await waitFor('the notification in the list', async () => {
      const page = (await svc.http(`/notifications?userId=${userId}`)).json();
      return page.items.length === 1 && page;
    });
    expect(list).toEqual({ items: [{ id, userId, template: 'welcome', channel: 'recording', status: 'sent', causeEventId: event.eventId, version: 1, createdAt: sent.timestamp }] });

    const first = await svc.http(`/notifications/${id}`);
    expect(first.statusCode).toBe(200);
    expect(first.headers['etag']).toBe('"1"');
    expect(first.json()).toEqual(list.items[0]);
    const hits = svc.app.get(QueryCache).stats.hits;
    expect((await svc.http(`/notifications/${id}`)).headers['x-cache']).toBe('hit');
    expect(svc.app.get(QueryCache).stats.hits).toBe(hits + 1);
    // Read-your-writes as on the other services' views: reached → 200; ahead → an honest 202.
    expect((await svc.http(`/notifications/${id}?minVersion=1`)).statusCode).toBe(200);
    const ahead = await svc.http(`/notifications/${id}?minVersion=2`);
    expect(ahead.statusCode).toBe(202);
    expect(ahead.json()).toMatchObject({ details: { currentVersion: 1, minVersion: 2 } });
  });

  it('the same event delivered twice → one delivery, one event; even with its inbox row gone, the v5 id sends nothing new', async () => {
    const userId = randomUUID();
    const event = userCreated(userId, 'Twice');
    const id = notificationIdFor(event.eventId);
    const marker = userCreated(randomUUID(), 'Marker');
    // Same key → same partition → handled in order: once the marker is delivered, both copies were handled.
    await svc.produce(event);
    await svc.produce(event);
    await svc.produce(marker, userId);
    await delivered(notificationIdFor(marker.eventId));
    expect(await deliveriesOf(id)).toHaveLength(1);

    // A redelivery the inbox does not remember (pruned inbox, replayed topic): the aggregate is found by its derived id.
    await svc.pool.query(`DELETE FROM ${svc.schema}.inbox WHERE event_id = $1`, [event.eventId]);
    const marker2 = userCreated(randomUUID(), 'Marker');
    await svc.produce(event);
    await svc.produce(marker2, userId);
    await delivered(notificationIdFor(marker2.eventId));
    const handledAgain = await svc.pool.query(`SELECT count(*)::int AS n FROM ${svc.schema}.inbox WHERE event_id = $1`, [event.eventId]);
    expect(handledAgain.rows[0].n).toBe(1);
    expect(await deliveriesOf(id)).toHaveLength(1);
    expect(await svc.app.get<PostgresEventStore>(EVENT_STORE).readStream(id)).toHaveLength(1);
    expect(svc.deadLettered).toEqual([]);
  });

  it('OrderCancelled → a notification mentioning the reason; a user’s notifications page newest first with a stable cursor', async () => {
    const userId = randomUUID();
    const orderId = randomUUID();
    const confirmed = orderEvent('OrderConfirmed', orderId, { userId, paymentId: randomUUID(), totalCents: 2_500, currency: 'EUR' });
    const shipped = orderEvent('OrderShipped', orderId, { userId });
    const cancelled = orderEvent('OrderCancelled', randomUUID(), { userId, reason: 'payment_timeout', refundDue: false });
    for (const e of [confirmed, shipped, cancelled]) {
      await svc.produce(e, userId);
      await delivered(notificationIdFor(e.eventId)); // one at a time: created_at order = production order
    }
    const cancellation = (await deliveriesOf(notificationIdFor(cancelled.eventId)))[0];
    expect(cancellation).toMatchObject({ template: 'order_cancelled', user_id: userId });
    expect(cancellation.body).toContain('payment_timeout');
    expect(cancellation.body).toContain('no payment arrived in time');

    await waitFor('three notifications for the user', async () => (await svc.http(`/notifications?userId=${userId}`)).json().items.length === 3);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = (await svc.http(`/notifications?userId=${userId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
      seen.push(...page.items.map((n: { template: string }) => n.template));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['order_cancelled', 'order_shipped', 'order_confirmed']);

    expect((await svc.http('/notifications?cursor=garbage')).statusCode).toBe(400);
    expect((await svc.http('/notifications?userId=nope')).statusCode).toBe(400);
    expect((await svc.http(`/notifications/${randomUUID()}`)).statusCode).toBe(404);
  });
});

describe('notification-service with a channel that throws', () => {
  let svc: Harness;
  const failing: NotificationChannel = {
    name: 'recording',
    deliver: async () => {
      throw new Error('smtp: 421 service not available');
    },
  };

  beforeAll(async () => {
    svc = await startService(failing);
  });

  afterAll(async () => {
    await svc?.dispose();
  });

  it('records NotificationFailed with the error, dead-letters nothing, and moves on to the next event', async () => {
    const userId = randomUUID();
    const first = userCreated(userId, 'Unlucky');
    const next = orderEvent('OrderDelivered', randomUUID(), { userId });
    await svc.produce(first, userId);
    await svc.produce(next, userId);

    const store = svc.app.get<PostgresEventStore>(EVENT_STORE);
    for (const e of [first, next]) {
      const [failed] = await waitFor(`NotificationFailed for ${e.eventType}`, async () => {
        const events = await store.readStream(notificationIdFor(e.eventId));
        return events.length > 0 && events;
      }, { timeoutMs: 30_000 });
      expect(failed).toMatchObject({ eventType: 'NotificationFailed', data: { userId, causeEventId: e.eventId, error: 'smtp: 421 service not available' } });
    }
    expect((await svc.pool.query(`SELECT count(*)::int AS n FROM ${svc.schema}.deliveries`)).rows[0].n).toBe(0);
    expect(svc.deadLettered).toEqual([]);
    expect(svc.handlerErrors).toEqual([]); // handled on the first attempt: a failure is a fact, not a retry

    const view = await waitFor('the failed notification in the view', async () => {
      const page = (await svc.http(`/notifications?userId=${userId}&status=failed`)).json();
      return page.items.length === 2 && page.items.find((n: { template: string }) => n.template === 'welcome');
    });
    expect(view).toMatchObject({ template: 'welcome', status: 'failed', error: 'smtp: 421 service not available' });
  });
});
