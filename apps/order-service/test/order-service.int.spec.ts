import type { Settings } from '@causeway/config';
import { topicOf, type EventEnvelope, type EventMetadata } from '@causeway/contracts';
import type { PostgresEventStore } from '@causeway/eventsourcing';
import { KafkaEventTransport, toKafkaMessage } from '@causeway/messaging';
import { createHttpApp, EVENT_STORE, KAFKA, PG_POOL, QueryCache } from '@causeway/service-runtime';
import { testSettings, uniqueName, waitFor } from '@causeway/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { AppModule } from '../src/app.module';

const CONSUMED_TOPICS = ['user_events', 'payment_events'];

/** This test's copies of the topics the service consumes, and their dead-letter topics. */
async function createTopics(kafka: Kafka, suffix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: CONSUMED_TOPICS.flatMap((t) => [{ topic: `${t}_${suffix}`, numPartitions: 3 }, { topic: `${t}_${suffix}.dlq`, numPartitions: 1 }]) });
  await admin.disconnect();
}

async function deleteTopicsAndSchema(kafka: Kafka, suffix: string, settings: Settings, schema: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: CONSUMED_TOPICS.flatMap((t) => [`${t}_${suffix}`, `${t}_${suffix}.dlq`]) }).catch(() => undefined);
  await admin.disconnect();
  const cleanup = new Pool({ connectionString: settings.event_store.database_url });
  await cleanup.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await cleanup.end();
}

/** The service in-process on `schema`, consuming this test's topics. */
async function startOrderService(settings: Settings, schema: string, suffix: string): Promise<NestFastifyApplication> {
  const app = await createHttpApp(AppModule.register({ schema, settings }), settings);
  app.connectMicroservice(
    {
      strategy: new KafkaEventTransport(app.get<Kafka>(KAFKA), app.get<Pool>(PG_POOL), {
        groupId: uniqueName('order_it_group'), schema, workerThreads: 2, batchSize: 10, processingTimeoutMs: 5_000, maxAttempts: 2, retryBackoffMs: 10,
        topicOf: (type) => `${topicOf(type)}_${suffix}`,
      }),
    },
    { inheritAppConfig: true },
  );
  await app.init();
  await app.startAllMicroservices();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

/** Produces integration events of other services to this test's copies of their topics. */
function publisherTo(producer: () => Producer, suffix: string) {
  const versions = new Map<string, number>();
  return async function publish<T extends Record<string, unknown>>(
    eventType: string, aggregateType: string, aggregateId: string, data: T, schemaVersion = 1, metadata: Partial<EventMetadata> = {},
  ): Promise<EventEnvelope> {
    const version = (versions.get(aggregateId) ?? 0) + 1;
    versions.set(aggregateId, version);
    const event: EventEnvelope = {
      eventId: randomUUID(), eventType, aggregateType, aggregateId, version, timestamp: new Date().toISOString(), schemaVersion, data,
      metadata: { correlationId: randomUUID(), causationId: randomUUID(), source: 'order-service-it', ...metadata },
    };
    await producer().send({ topic: `${topicOf(eventType)}_${suffix}`, messages: [toKafkaMessage(event)] });
    return event;
  };
}

/**
 * The order-service in-process against real PostgreSQL, Kafka and Redis, in a schema of its own,
 * consuming user_events / payment_events from topics of its own (topicOf override).
 */
describe('order-service (real PostgreSQL, Kafka, Redis)', () => {
  const settings = testSettings();
  const schema = uniqueName('order_it');
  const suffix = uniqueName('t');
  const kafka = new Kafka({ clientId: 'order-service-it', brokers: settings.kafka.brokers, logLevel: logLevel.NOTHING });
  let app: NestFastifyApplication;
  let producer: Producer;
  let pool: Pool;

  const http = (method: 'GET' | 'POST', url: string, body?: object, headers: Record<string, string> = {}) =>
    app.getHttpAdapter().getInstance().inject({ method, url, payload: body, headers });

  const publish = publisherTo(() => producer, suffix);

  const createUser = (userId: string) => publish('UserCreated', 'User', userId, { userId, email: `${userId.slice(0, 8)}@example.com`, givenName: 'Grace', familyName: 'Hopper' }, 2);
  const deleteUser = (userId: string) => publish('UserDeleted', 'User', userId, { userId });
  const customerStatus = async (userId: string) => (await pool.query(`SELECT status FROM ${schema}.customers WHERE user_id = $1`, [userId])).rows[0]?.status as string | undefined;
  const knownCustomer = async () => {
    const userId = randomUUID();
    await createUser(userId);
    await waitFor('the customer to be known', async () => (await customerStatus(userId)) === 'active', { timeoutMs: 20_000 });
    return userId;
  };
  const order = (userId: string) => ({
    userId,
    items: [
      { sku: 'BOOK-1', quantity: 2, unitPriceCents: 1_250 },
      { sku: 'PEN-7', quantity: 3, unitPriceCents: 199 },
    ],
    currency: 'EUR',
    paymentMethod: 'tok_visa',
  });
  /**
   * GET ?minVersion= until it answers 200 (a 202 means "not yet, retry"): on a loaded machine the
   * projection may take longer than the server's own short wait.
   */
  const read = (id: string, version: number) =>
    waitFor(`order ${id} at version ${version} in the view`, async () => {
      const response = await http('GET', `/orders/${id}?minVersion=${version}`);
      return response.statusCode === 200 && response;
    }, { timeoutMs: 20_000 });
  const view = async (id: string, version: number) => (await read(id, version)).json();

  /** The inbox row commits with the handler's effect: present = handled (not failed, not dead-lettered). */
  const handled = (event: EventEnvelope) =>
    waitFor(`${event.eventType} ${event.eventId} to be handled`, async () => (await pool.query(`SELECT 1 FROM ${schema}.inbox WHERE event_id = $1`, [event.eventId])).rowCount === 1, { timeoutMs: 20_000 });
  const paymentProcessed = (orderId: string, userId: string, paymentId = randomUUID(), metadata: Partial<EventMetadata> = {}) =>
    publish('PaymentProcessed', 'Payment', paymentId, { paymentId, orderId, userId, amountCents: 3_097, currency: 'EUR', providerReference: `sandbox_${paymentId.slice(0, 8)}` }, 1, metadata);
  const paymentFailed = (orderId: string, userId: string, paymentId = randomUUID(), metadata: Partial<EventMetadata> = {}) =>
    publish('PaymentFailed', 'Payment', paymentId, { paymentId, orderId, userId, reason: 'card_declined' }, 1, metadata);
  const placeFor = async (userId: string): Promise<string> => {
    const placed = await http('POST', '/orders', order(userId));
    expect(placed.statusCode).toBe(202);
    return placed.json().id;
  };
  const eventsOf = (id: string) => app.get<PostgresEventStore>(EVENT_STORE).readStream(id);

  beforeAll(async () => {
    await createTopics(kafka, suffix);
    producer = kafka.producer();
    await producer.connect();
    app = await startOrderService(settings, schema, suffix);
    pool = app.get<Pool>(PG_POOL);
  });

  afterAll(async () => {
    await app?.close();
    await producer?.disconnect();
    await deleteTopicsAndSchema(kafka, suffix, settings, schema);
  });

  it('places an order for a known customer: 202, OrderPlaced stored with its total and correlation id, projected, cached', async () => {
    const userId = await knownCustomer();
    const placed = await http('POST', '/orders', order(userId), { 'x-correlation-id': 'corr-order-it' });
    expect(placed.statusCode).toBe(202);
    const { id, status, version } = placed.json();
    expect({ status, version }).toEqual({ status: 'PENDING', version: 1 });
    expect(placed.headers['etag']).toBe('"1"');
    expect(placed.headers['location']).toBe(`/orders/${id}`);

    const [event] = await app.get<PostgresEventStore>(EVENT_STORE).readStream(id);
    expect(event).toMatchObject({
      eventType: 'OrderPlaced', aggregateType: 'Order', version: 1,
      data: { orderId: id, userId, totalCents: 2 * 1_250 + 3 * 199, currency: 'EUR', paymentMethod: 'tok_visa' },
      metadata: { correlationId: 'corr-order-it', source: 'order-service' },
    });
    const deadline = Date.parse((event.data as { paymentDeadline: string }).paymentDeadline) - Date.parse(event.timestamp);
    expect(Math.abs(deadline - settings.saga.payment_deadline)).toBeLessThan(1_000);
    // The deadline is stored with the event (same transaction), not only a timer in memory.
    const stored = await pool.query(`SELECT status, due_at FROM ${schema}.payment_deadlines WHERE order_id = $1`, [id]);
    expect(stored.rows).toEqual([{ status: 'pending', due_at: new Date((event.data as { paymentDeadline: string }).paymentDeadline) }]);

    const first = await read(id, 1);
    expect(first.headers['etag']).toBe('"1"');
    expect(first.json()).toMatchObject({ id, userId, status: 'PENDING', totalCents: 3_097, currency: 'EUR', items: order(userId).items, version: 1 });

    // The read-your-writes read warmed the cache; the projection's own invalidation of that
    // commit may still land after it, so the hit is waited for, not assumed on the next read.
    const cache = app.get(QueryCache);
    const hitsBefore = cache.stats.hits;
    const hit = await waitFor('a cache hit', async () => {
      const response = await http('GET', `/orders/${id}`);
      return response.headers['x-cache'] === 'hit' && response;
    });
    expect(cache.stats.hits).toBeGreaterThan(hitsBefore);
    expect(hit.headers['etag']).toBe('"1"');
    expect(hit.json()).toEqual(first.json());
  });

  it('places one order per Idempotency-Key: a repeat (also concurrent) answers with it, the key on another request is 422, a bad key 400', async () => {
    const userId = await knownCustomer();
    const key = { 'idempotency-key': `checkout-${randomUUID()}` };
    const first = await http('POST', '/orders', order(userId), key);
    expect(first.statusCode).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const { id } = first.json();

    const again = await http('POST', '/orders', order(userId), key);
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual({ id, status: 'PENDING', version: 1, replayed: true });

    // Retries racing each other, with a fresh key: one order, every answer names it.
    const racingKey = { 'idempotency-key': `checkout-${randomUUID()}` };
    const racing = await Promise.all(Array.from({ length: 5 }, () => http('POST', '/orders', order(userId), racingKey)));
    expect(racing.map((r) => r.statusCode)).toEqual([202, 202, 202, 202, 202]);
    expect(new Set(racing.map((r) => r.json().id)).size).toBe(1);
    expect(racing.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(4);

    const store = app.get<PostgresEventStore>(EVENT_STORE);
    for (const orderId of [id, racing[0].json().id]) {
      expect((await store.readStream(orderId)).map((e) => e.eventType)).toEqual(['OrderPlaced']);
      expect((await pool.query(`SELECT count(*)::int AS n FROM ${schema}.outbox WHERE aggregate_id = $1`, [orderId])).rows[0].n).toBe(1);
    }

    const otherItems = await http('POST', '/orders', { ...order(userId), items: [{ sku: 'BOOK-1', quantity: 1, unitPriceCents: 1_250 }] }, key);
    expect(otherItems.statusCode).toBe(422);
    expect(otherItems.json()).toMatchObject({ details: { code: 'idempotency_key_reused' } });
    // The same key from another customer is that customer's own order.
    const otherCustomer = await http('POST', '/orders', order(await knownCustomer()), key);
    expect(otherCustomer.statusCode).toBe(202);
    expect(otherCustomer.json().id).not.toBe(id);

    for (const bad of ['', 'x'.repeat(256), 'has space']) {
      const response = await http('POST', '/orders', order(userId), { 'idempotency-key': bad });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ details: [{ field: 'Idempotency-Key' }] });
    }
  });

  it('refuses orders for unknown (422 unknown_customer) and deleted (422 customer_deleted) customers', async () => {
    const unknown = await http('POST', '/orders', order(randomUUID()));
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json()).toMatchObject({ statusCode: 422, error: 'Unprocessable Entity', details: { code: 'unknown_customer' } });

    const userId = await knownCustomer();
    await deleteUser(userId);
    await waitFor('the customer to be deleted', async () => (await customerStatus(userId)) === 'deleted', { timeoutMs: 20_000 });
    const refused = await http('POST', '/orders', order(userId));
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ details: { code: 'customer_deleted' } });
  });

  it('ship before confirm is 422, a stale If-Match is 409, cancel with the right one is 200 and reaches the view', async () => {
    const userId = await knownCustomer();
    const { id } = (await http('POST', '/orders', order(userId))).json();
    await view(id, 1); // cached now: the cancel must invalidate it

    const ship = await http('POST', `/orders/${id}/ship`, undefined, { 'if-match': '"1"' });
    expect(ship.statusCode).toBe(422);
    expect(ship.json()).toMatchObject({ details: { code: 'order_not_confirmed' } });
    expect((await http('POST', `/orders/${id}/deliver`)).json()).toMatchObject({ statusCode: 422, details: { code: 'order_not_shipped' } });

    const stale = await http('POST', `/orders/${id}/cancel`, undefined, { 'if-match': '"7"' });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ statusCode: 409, details: { expectedVersion: 7, actualVersion: 1 } });

    // The customer's words do not choose the reason: only reactions establish payment_failed and the like.
    const cancelled = await http('POST', `/orders/${id}/cancel`, { reason: 'payment_failed' }, { 'if-match': '"1"' });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toEqual({ id, status: 'CANCELLED', version: 2 });
    expect(cancelled.headers['etag']).toBe('"2"');
    await waitFor('the cancel to reach the view', async () => (await http('GET', `/orders/${id}`)).json().version === 2);
    expect((await http('GET', `/orders/${id}`)).json()).toMatchObject({ status: 'CANCELLED', cancelReason: 'customer_request', refundDue: false, version: 2, cancelledAt: expect.any(String) });
    expect((await eventsOf(id)).at(-1)).toMatchObject({ eventType: 'OrderCancelled', data: { reason: 'customer_request', refundDue: false } });
    expect((await http('POST', `/orders/${id}/cancel`, {})).json()).toMatchObject({ statusCode: 422, details: { code: 'order_already_cancelled' } });
  });

  it('lists a customer’s orders with filters and a stable cursor', async () => {
    const userId = await knownCustomer();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await http('POST', '/orders', order(userId))).json().id);
    expect((await http('POST', `/orders/${ids[0]}/cancel`, { reason: 'customer_request' })).statusCode).toBe(200);
    await waitFor('the list to show every order', async () => (await http('GET', `/orders?userId=${userId}&limit=100`)).json().items.length === 5);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = (await http('GET', `/orders?userId=${userId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
      seen.push(...page.items.map((o: { id: string }) => o.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual([...ids].sort());
    await waitFor('the cancel to reach the list', async () => (await http('GET', `/orders?userId=${userId}&status=CANCELLED`)).json().items.length === 1);
    expect((await http('GET', `/orders?userId=${userId}&status=PENDING`)).json().items).toHaveLength(4);
    expect((await http('GET', '/orders?cursor=garbage')).statusCode).toBe(400);
    expect((await http('GET', '/orders?status=LOST')).statusCode).toBe(400);
  });

  it('answers 400 naming each bad field, 404 for an unknown order, 202 when the view cannot reach minVersion', async () => {
    const bad = await http('POST', '/orders', {
      userId: 'nope',
      items: [{ sku: '', quantity: 0, unitPriceCents: -1 }, { sku: 'x'.repeat(65), quantity: 1.5, unitPriceCents: 1.5 }],
      currency: 'eur',
      paymentMethod: '',
      admin: true,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details.map((d: { field: string }) => d.field).sort()).toEqual(
      ['admin', 'currency', 'items.0.quantity', 'items.0.sku', 'items.0.unitPriceCents', 'items.1.quantity', 'items.1.sku', 'items.1.unitPriceCents', 'paymentMethod', 'userId'].sort(),
    );
    expect((await http('POST', '/orders', { ...order(randomUUID()), items: [] })).statusCode).toBe(400);
    const tooMany = Array.from({ length: 101 }, (_, i) => ({ sku: `S${i}`, quantity: 1, unitPriceCents: 1 }));
    expect((await http('POST', '/orders', { ...order(randomUUID()), items: tooMany })).json().details).toEqual([{ field: 'items', errors: [expect.stringContaining('100')] }]);
    expect((await http('POST', `/orders/${randomUUID()}/cancel`, { reason: 42 })).json()).toMatchObject({ statusCode: 400, details: [{ field: 'reason' }] });

    expect((await http('GET', `/orders/${randomUUID()}`)).statusCode).toBe(404);
    expect((await http('POST', `/orders/${randomUUID()}/ship`)).statusCode).toBe(404);
    expect((await http('GET', '/orders/not-a-uuid')).statusCode).toBe(400);

    const userId = await knownCustomer();
    const { id } = (await http('POST', '/orders', order(userId))).json();
    await view(id, 1);
    const ahead = await http('GET', `/orders/${id}?minVersion=5`);
    expect(ahead.statusCode).toBe(202);
    expect(ahead.json()).toMatchObject({ details: { currentVersion: 1, minVersion: 5 } });
  });

  it('describes its HTTP API in OpenAPI', () => {
    const document = SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('order-service').build());
    // The runtime adds its own endpoints (health, events); these are the service's.
    expect(Object.keys(document.paths).filter((p) => p.startsWith('/orders')).sort()).toEqual(['/orders', '/orders/{id}', '/orders/{id}/cancel', '/orders/{id}/deliver', '/orders/{id}/saga', '/orders/{id}/ship']);
    expect(document.components?.schemas?.['PlaceOrderDto']).toBeDefined();
    expect(document.paths['/orders/{id}/saga'].get?.responses['200']).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/OrderSagaView' } } } });
    expect(Object.keys(document.components?.schemas?.['SagaStepView'] ?? {})).not.toHaveLength(0);
  });

  describe('GET /orders/:id/saga', () => {
    const saga = async (id: string) => {
      const response = await http('GET', `/orders/${id}/saga`);
      expect(response.statusCode).toBe(200);
      return response.json();
    };
    const deadlineStatus = async (id: string) => (await pool.query(`SELECT status FROM ${schema}.payment_deadlines WHERE order_id = $1`, [id])).rows[0]?.status as string | undefined;

    it('the happy path: OrderPlaced, PaymentProcessed, OrderConfirmed, in that order, in one correlation; outcome confirmed; the deadline done', async () => {
      const userId = await knownCustomer();
      const placedResponse = await http('POST', '/orders', order(userId), { 'x-correlation-id': `corr-saga-${randomUUID()}` });
      const id: string = placedResponse.json().id;
      const [placed] = await eventsOf(id);
      const correlationId = placed.metadata.correlationId;
      expect(await saga(id)).toMatchObject({ orderId: id, status: 'PENDING', steps: [{ eventType: 'OrderPlaced' }] });
      expect((await saga(id)).outcome).toBeUndefined();

      // As payment-service would: in the order's correlation, caused by its PaymentInitiated.
      const payment = await paymentProcessed(id, userId, randomUUID(), { correlationId, causationId: randomUUID(), source: 'payment-service' });
      await handled(payment);
      const [, confirmed] = await eventsOf(id);

      const body = await saga(id);
      expect(body).toEqual({
        orderId: id,
        status: 'CONFIRMED',
        outcome: { status: 'confirmed' },
        steps: [
          { eventType: 'OrderPlaced', service: 'order-service', version: 1, timestamp: placed.timestamp, correlationId, causationId: placed.metadata.causationId, eventId: placed.eventId },
          { eventType: 'PaymentProcessed', service: 'payment-service', timestamp: payment.timestamp, correlationId, causationId: payment.metadata.causationId, eventId: payment.eventId },
          { eventType: 'OrderConfirmed', service: 'order-service', version: 2, timestamp: confirmed.timestamp, correlationId, causationId: payment.eventId, eventId: confirmed.eventId },
        ],
      });
      const times = body.steps.map((step: { timestamp: string }) => Date.parse(step.timestamp));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      expect(await deadlineStatus(id)).toBe('done');
    });

    it('the PaymentFailed path: the cancel with its reason; a late PaymentProcessed shows as a step the order ignored', async () => {
      const userId = await knownCustomer();
      const id = await placeFor(userId);
      const [placed] = await eventsOf(id);
      const correlationId = placed.metadata.correlationId;
      const failure = await paymentFailed(id, userId, randomUUID(), { correlationId, source: 'payment-service' });
      await handled(failure);
      const cancelled = (await eventsOf(id))[1];

      expect(await saga(id)).toEqual({
        orderId: id,
        status: 'CANCELLED',
        outcome: { status: 'cancelled', reason: 'payment_failed' },
        steps: [
          expect.objectContaining({ eventType: 'OrderPlaced', eventId: placed.eventId, correlationId }),
          expect.objectContaining({ eventType: 'PaymentFailed', service: 'payment-service', eventId: failure.eventId, correlationId }),
          expect.objectContaining({ eventType: 'OrderCancelled', service: 'order-service', version: 2, eventId: cancelled.eventId, causationId: failure.eventId, correlationId }),
        ],
      });
      expect(cancelled.data).toMatchObject({ reason: 'payment_failed', refundDue: false });
      expect(await deadlineStatus(id)).toBe('done');

      const late = await paymentProcessed(id, userId, randomUUID(), { correlationId, source: 'payment-service' });
      await handled(late);
      const after = await saga(id);
      expect(after).toMatchObject({ status: 'CANCELLED', outcome: { status: 'cancelled', reason: 'payment_failed' } });
      expect(after.steps.map((step: { eventType: string }) => step.eventType)).toEqual(['OrderPlaced', 'PaymentFailed', 'OrderCancelled', 'PaymentProcessed']);
    });

    it('a customer cancel ends the payment deadline too; 404 for an unknown order, 400 for a bad id', async () => {
      const userId = await knownCustomer();
      const id = await placeFor(userId);
      expect((await http('POST', `/orders/${id}/cancel`, {})).statusCode).toBe(200);
      expect(await deadlineStatus(id)).toBe('done');
      expect((await saga(id)).outcome).toEqual({ status: 'cancelled', reason: 'customer_request' });

      const unknown = await http('GET', `/orders/${randomUUID()}/saga`);
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
      expect((await http('GET', '/orders/nope/saga')).statusCode).toBe(400);
    });
  });

  describe('saga reactions (ARCHITECTURE §5)', () => {
    it('PaymentProcessed confirms a PENDING order, in the payment’s correlation tree; then ship and deliver', async () => {
      const userId = await knownCustomer();
      const id = await placeFor(userId);
      const payment = await paymentProcessed(id, userId);
      await handled(payment);

      const [, confirmed] = await eventsOf(id);
      expect(confirmed).toMatchObject({
        eventType: 'OrderConfirmed', version: 2,
        data: { orderId: id, userId, paymentId: payment.aggregateId, totalCents: 3_097, currency: 'EUR' },
        metadata: { correlationId: payment.metadata.correlationId, causationId: payment.eventId, source: 'order-service' },
      });
      expect(await view(id, 2)).toMatchObject({ status: 'CONFIRMED', paymentId: payment.aggregateId, version: 2 });
      const audit = await pool.query(`SELECT data, metadata FROM ${schema}.events WHERE event_type = 'CommandAudited' AND data->>'targetId' = $1 AND data->>'command' = 'ConfirmOrder'`, [id]);
      expect(audit.rows).toEqual([{ data: { actor: 'order-service', command: 'ConfirmOrder', outcome: 'accepted', targetId: id }, metadata: expect.objectContaining({ correlationId: payment.metadata.correlationId }) }]);

      expect((await http('POST', `/orders/${id}/ship`, undefined, { 'if-match': '"2"' })).json()).toEqual({ id, status: 'SHIPPED', version: 3 });
      expect((await http('POST', `/orders/${id}/ship`)).json()).toMatchObject({ statusCode: 422, details: { code: 'order_already_shipped' } });
      expect((await http('POST', `/orders/${id}/cancel`)).json()).toMatchObject({ statusCode: 422, details: { code: 'order_already_shipped' } });
      expect((await http('POST', `/orders/${id}/deliver`, undefined, { 'if-match': '"3"' })).json()).toEqual({ id, status: 'DELIVERED', version: 4 });
      const delivered = await view(id, 4);
      expect(delivered).toMatchObject({ status: 'DELIVERED', version: 4 });
      const times = [delivered.createdAt, delivered.confirmedAt, delivered.shippedAt, delivered.deliveredAt];
      expect(times.every((t) => typeof t === 'string')).toBe(true);
      expect([...times].sort()).toEqual(times);
    });

    it('a second PaymentProcessed, or a PaymentFailed, for a confirmed order changes nothing', async () => {
      const userId = await knownCustomer();
      const id = await placeFor(userId);
      await handled(await paymentProcessed(id, userId));
      await handled(await paymentProcessed(id, userId));
      await handled(await paymentFailed(id, userId));
      expect((await eventsOf(id)).map((e) => e.eventType)).toEqual(['OrderPlaced', 'OrderConfirmed']);
    });

    it('PaymentFailed cancels a PENDING order (payment_failed, nothing to refund); a late PaymentProcessed is ignored', async () => {
      const userId = await knownCustomer();
      const id = await placeFor(userId);
      const failure = await paymentFailed(id, userId);
      await handled(failure);
      const [, cancelled] = await eventsOf(id);
      expect(cancelled).toMatchObject({
        eventType: 'OrderCancelled', data: { orderId: id, userId, reason: 'payment_failed', refundDue: false },
        metadata: { correlationId: failure.metadata.correlationId, causationId: failure.eventId },
      });
      expect(await view(id, 2)).toMatchObject({ status: 'CANCELLED', cancelReason: 'payment_failed', refundDue: false });

      await handled(await paymentProcessed(id, userId));
      expect((await eventsOf(id)).map((e) => e.eventType)).toEqual(['OrderPlaced', 'OrderCancelled']);
    });

    it('UserDeleted cancels the user’s PENDING and CONFIRMED orders (user_deleted; the paid one is refunded), not shipped ones', async () => {
      const userId = await knownCustomer();
      const [pending, confirmed, shipped] = [await placeFor(userId), await placeFor(userId), await placeFor(userId)];
      await handled(await paymentProcessed(confirmed, userId));
      await handled(await paymentProcessed(shipped, userId));
      expect((await http('POST', `/orders/${shipped}/ship`)).statusCode).toBe(200);
      const otherUser = await knownCustomer();
      const unrelated = await placeFor(otherUser);

      const deletion = await deleteUser(userId);
      await handled(deletion);
      expect((await eventsOf(pending)).at(-1)).toMatchObject({
        eventType: 'OrderCancelled', data: { reason: 'user_deleted', refundDue: false },
        metadata: { correlationId: deletion.metadata.correlationId, causationId: deletion.eventId },
      });
      expect((await eventsOf(confirmed)).at(-1)).toMatchObject({ eventType: 'OrderCancelled', data: { reason: 'user_deleted', refundDue: true } });
      expect((await eventsOf(shipped)).at(-1)).toMatchObject({ eventType: 'OrderShipped' });
      expect((await eventsOf(unrelated)).map((e) => e.eventType)).toEqual(['OrderPlaced']);
      expect(await view(confirmed, 3)).toMatchObject({ status: 'CANCELLED', cancelReason: 'user_deleted', refundDue: true });

      // A redelivered copy (new event id, same version) finds nothing left to cancel.
      await handled(await publish('UserDeleted', 'User', userId, { userId }));
      expect((await eventsOf(pending)).map((e) => e.eventType)).toEqual(['OrderPlaced', 'OrderCancelled']);
    });

    it('orders placed around a UserDeleted are either cancelled by it or refused (422): none stays open', async () => {
      const userId = await knownCustomer();
      // Place orders in batches; after the first, delete the user and keep placing until refused.
      const responses: Array<Awaited<ReturnType<typeof http>>> = [];
      let deletion: EventEnvelope | undefined;
      await waitFor('the deletion to refuse new orders', async () => {
        const batch = await Promise.all(Array.from({ length: 4 }, () => http('POST', '/orders', order(userId))));
        responses.push(...batch);
        deletion ??= await deleteUser(userId);
        return batch.some((r) => r.statusCode === 422);
      }, { timeoutMs: 20_000, intervalMs: 0 });
      await handled(deletion as EventEnvelope);
      expect(responses.filter((r) => r.statusCode === 202).length).toBeGreaterThanOrEqual(4);
      for (const response of responses) {
        if (response.statusCode === 202) {
          expect((await eventsOf(response.json().id)).map((e) => [e.eventType, e.data['reason']])).toEqual([['OrderPlaced', undefined], ['OrderCancelled', 'user_deleted']]);
        } else {
          expect(response.json()).toMatchObject({ statusCode: 422, details: { code: 'customer_deleted' } });
        }
      }
    });
  });
});

/**
 * ARCHITECTURE §5.6 with a short deadline: an order with no payment outcome is cancelled
 * (payment_timeout), also when its deadline passed while no instance ran.
 */
describe('order-service payment deadline (CAUSEWAY__SAGA__PAYMENT_DEADLINE=1s)', () => {
  const settings = testSettings({ ...process.env, CAUSEWAY__SAGA__PAYMENT_DEADLINE: '1s' });
  const schema = uniqueName('order_deadline_it');
  const suffix = uniqueName('t');
  const kafka = new Kafka({ clientId: 'order-service-deadline-it', brokers: settings.kafka.brokers, logLevel: logLevel.NOTHING });
  let app: NestFastifyApplication | undefined;
  let producer: Producer;
  /** The test's own pool: it reads the schema also while no instance runs. */
  let db: Pool;

  const publish = publisherTo(() => producer, suffix);
  const running = () => {
    if (!app) throw new Error('the service is not running');
    return app;
  };
  const http = (method: 'GET' | 'POST', url: string, body?: object) => running().getHttpAdapter().getInstance().inject({ method, url, payload: body });

  interface Row {
    event_id: string;
    event_type: string;
    version: number;
    data: Record<string, unknown>;
    metadata: EventMetadata;
    occurred_at: Date;
  }
  const eventsOf = async (id: string) => (await db.query<Row>(`SELECT event_id, event_type, version, data, metadata, occurred_at FROM ${schema}.events WHERE aggregate_id = $1 ORDER BY version`, [id])).rows;
  const deadlineOf = async (id: string) => (await db.query<{ status: string; due_at: Date }>(`SELECT status, due_at FROM ${schema}.payment_deadlines WHERE order_id = $1`, [id])).rows[0];
  const cancellationOf = (id: string) => waitFor(`order ${id} to be cancelled`, async () => (await eventsOf(id)).find((e) => e.event_type === 'OrderCancelled'), { timeoutMs: 10_000 });
  const handled = (event: EventEnvelope) =>
    waitFor(`${event.eventType} ${event.eventId} to be handled`, async () => (await db.query(`SELECT 1 FROM ${schema}.inbox WHERE event_id = $1`, [event.eventId])).rowCount === 1, { timeoutMs: 20_000 });
  const knownCustomer = async () => {
    const userId = randomUUID();
    await handled(await publish('UserCreated', 'User', userId, { userId, email: `${userId.slice(0, 8)}@example.com`, givenName: 'Ada', familyName: 'Lovelace' }, 2));
    return userId;
  };
  const placeFor = async (userId: string) => {
    const placed = await http('POST', '/orders', { userId, items: [{ sku: 'BOOK-1', quantity: 1, unitPriceCents: 3_097 }], currency: 'EUR', paymentMethod: 'tok_visa' });
    expect(placed.statusCode).toBe(202);
    const id: string = placed.json().id;
    const [event] = await eventsOf(id);
    return { id, placed: event, dueAt: Date.parse(event.data['paymentDeadline'] as string) };
  };

  beforeAll(async () => {
    expect(settings.saga.payment_deadline).toBe(1_000);
    await createTopics(kafka, suffix);
    producer = kafka.producer();
    await producer.connect();
    db = new Pool({ connectionString: settings.event_store.database_url, max: 2 });
    app = await startOrderService(settings, schema, suffix);
  });

  afterAll(async () => {
    await app?.close();
    await producer?.disconnect();
    await db?.end();
    await deleteTopicsAndSchema(kafka, suffix, settings, schema);
  });

  it('an order with no payment outcome is CANCELLED (payment_timeout, nothing to refund) soon after its deadline, caused by its OrderPlaced', async () => {
    const userId = await knownCustomer();
    const { id, placed, dueAt } = await placeFor(userId);
    // now + 1s, taken just before the event's own timestamp.
    expect(dueAt - placed.occurred_at.getTime()).toBeGreaterThan(900);
    expect(dueAt - placed.occurred_at.getTime()).toBeLessThanOrEqual(1_000);
    expect(await deadlineOf(id)).toEqual({ status: 'pending', due_at: new Date(dueAt) });

    const cancelled = await cancellationOf(id);
    expect(cancelled).toMatchObject({
      version: 2,
      data: { orderId: id, userId, reason: 'payment_timeout', refundDue: false },
      metadata: { correlationId: placed.metadata.correlationId, causationId: placed.event_id, source: 'order-service' },
    });
    expect(cancelled.occurred_at.getTime()).toBeGreaterThanOrEqual(dueAt);
    expect((await deadlineOf(id)).status).toBe('done');
    const audit = await db.query(`SELECT data, metadata FROM ${schema}.events WHERE event_type = 'CommandAudited' AND data->>'targetId' = $1 AND data->>'command' = 'CancelOrder'`, [id]);
    expect(audit.rows).toEqual([
      expect.objectContaining({ data: { actor: 'order-service', command: 'CancelOrder', outcome: 'accepted', targetId: id }, metadata: expect.objectContaining({ correlationId: placed.metadata.correlationId }) }),
    ]);

    const view = await waitFor('the view to show the cancel', async () => {
      const response = await http('GET', `/orders/${id}?minVersion=2`);
      return response.statusCode === 200 && response.json();
    }, { timeoutMs: 20_000 });
    expect(view).toMatchObject({ status: 'CANCELLED', cancelReason: 'payment_timeout', refundDue: false });
    const saga = (await http('GET', `/orders/${id}/saga`)).json();
    expect(saga).toMatchObject({ status: 'CANCELLED', outcome: { status: 'cancelled', reason: 'payment_timeout' } });
    expect(saga.steps.map((s: { eventType: string; correlationId: string }) => [s.eventType, s.correlationId])).toEqual([
      ['OrderPlaced', placed.metadata.correlationId],
      ['OrderCancelled', placed.metadata.correlationId],
    ]);
  });

  it('an order confirmed before its deadline is not cancelled when the deadline passes', async () => {
    const userId = await knownCustomer();
    const { id, dueAt } = await placeFor(userId);
    const paymentId = randomUUID();
    await handled(await publish('PaymentProcessed', 'Payment', paymentId, { paymentId, orderId: id, userId, amountCents: 3_097, currency: 'EUR', providerReference: 'sandbox_1' }));
    const confirmed = (await eventsOf(id))[1];
    expect(confirmed.event_type).toBe('OrderConfirmed');
    expect(confirmed.occurred_at.getTime()).toBeLessThan(dueAt); // else this test proves nothing
    expect((await deadlineOf(id)).status).toBe('done');

    // A later order's timeout shows the watcher has run past this order's deadline.
    const later = await placeFor(userId);
    expect(later.dueAt).toBeGreaterThan(dueAt);
    await cancellationOf(later.id);
    expect((await eventsOf(id)).map((e) => e.event_type)).toEqual(['OrderPlaced', 'OrderConfirmed']);
  });

  it('payments arriving as the deadlines pass: each order ends confirmed or timed out, never both; every payment is handled (no deadlock, no dead letter)', async () => {
    const userId = await knownCustomer();
    const placed: Array<Awaited<ReturnType<typeof placeFor>>> = [];
    for (let i = 0; i < 8; i++) placed.push(await placeFor(userId));
    // Midway through the deadlines: the watcher may be expiring some of these orders right now.
    await waitFor('the middle deadline', () => Date.now() >= placed[4].dueAt, { timeoutMs: 5_000, intervalMs: 5 });
    const payments = await Promise.all(placed.map(({ id }) => {
      const paymentId = randomUUID();
      return publish('PaymentProcessed', 'Payment', paymentId, { paymentId, orderId: id, userId, amountCents: 3_097, currency: 'EUR', providerReference: `sandbox_${paymentId.slice(0, 8)}` });
    }));
    for (const payment of payments) await handled(payment);
    for (const { id } of placed) {
      await waitFor(`order ${id} to leave PENDING`, async () => (await eventsOf(id)).length === 2, { timeoutMs: 10_000 });
      const events = (await eventsOf(id)).map((e) => [e.event_type, e.data['reason']]);
      expect([[['OrderPlaced', undefined], ['OrderConfirmed', undefined]], [['OrderPlaced', undefined], ['OrderCancelled', 'payment_timeout']]]).toContainEqual(events);
      expect((await deadlineOf(id)).status).toBe('done');
    }
  });

  it('deadlines survive a restart: an order whose deadline passed while no instance ran is cancelled by the next one', async () => {
    const userId = await knownCustomer();
    const { id, placed, dueAt } = await placeFor(userId);
    // Closing stops the watcher first (onModuleDestroy), well within the second.
    await running().close();
    app = undefined;
    expect((await eventsOf(id)).map((e) => e.event_type)).toEqual(['OrderPlaced']);

    await waitFor('the deadline to pass with no instance running', () => Date.now() > dueAt + 200, { timeoutMs: 5_000 });
    expect((await eventsOf(id)).map((e) => e.event_type)).toEqual(['OrderPlaced']);
    expect((await deadlineOf(id)).status).toBe('pending');

    app = await startOrderService(settings, schema, suffix);
    const cancelled = await cancellationOf(id);
    expect(cancelled).toMatchObject({
      data: { reason: 'payment_timeout', refundDue: false },
      metadata: { correlationId: placed.metadata.correlationId, causationId: placed.event_id },
    });
    expect((await deadlineOf(id)).status).toBe('done');
  });
});
