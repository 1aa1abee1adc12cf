import { topicOf, type EventEnvelope } from '@causeway/contracts';
import { migrateEventStore, runMigrations, type EventStore, type StoredEvent } from '@causeway/eventsourcing';
import { KafkaEventTransport, toKafkaMessage } from '@causeway/messaging';
import { createHttpApp, EVENT_STORE, KAFKA, PG_POOL, QueryCache, SERVICE } from '@causeway/service-runtime';
import { testSettings, uniqueName, waitFor } from '@causeway/testing';
import { CommandBus } from '@nestjs/cqrs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Kafka, Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { AppModule } from '../src/app.module';
import { paymentService } from '../src/payment-service.definition';
import { noteOrderCancelled } from '../src/payments/domain/order-states';
import { paymentIdFor } from '../src/payments/domain/payment-id';
import { PaymentProcessor } from '../src/payments/processor/payment-processor';
import type { ChargeRequest, PaymentProvider } from '../src/payments/provider/payment-provider.port';
import { SandboxPaymentProvider } from '../src/payments/provider/sandbox-payment-provider';

/**
 * payment-service in-process against real PostgreSQL, Kafka and Redis, in a schema of its own,
 * consuming order events from topics of its own: the payment side of the order saga.
 */
describe('payment-service (real PostgreSQL, Kafka, Redis)', () => {
  const settings = testSettings({ ...process.env, CAUSEWAY__PAYMENT_SANDBOX__LATENCY: '5ms', CAUSEWAY__PAYMENT_SANDBOX__TIMEOUT_DELAY: '1s' });
  const schema = uniqueName('payment_it');
  const suffix = uniqueName('t');
  const orderTopic = `${topicOf('OrderPlaced')}_${suffix}`;
  let app: NestFastifyApplication;
  let kafka: Kafka;
  let producer: Producer;
  let pool: Pool;
  let store: EventStore;

  const http = (url: string) => app.getHttpAdapter().getInstance().inject({ method: 'GET', url });

  beforeAll(async () => {
    expect(settings.payment_sandbox).toEqual({ latency: 5, timeout_delay: 1_000 });
    app = await createHttpApp(AppModule.register({ schema, settings }), settings);
    kafka = app.get<Kafka>(KAFKA);
    pool = app.get<Pool>(PG_POOL);
    store = app.get<EventStore>(EVENT_STORE);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: orderTopic, numPartitions: 3 }, { topic: `${orderTopic}.dlq`, numPartitions: 3 }] });
    await admin.disconnect();
    app.connectMicroservice({
      strategy: new KafkaEventTransport(kafka, pool, {
        groupId: uniqueName('g'), schema, workerThreads: 2, batchSize: 10, processingTimeoutMs: 5_000, maxAttempts: 2, retryBackoffMs: 10,
        topicOf: (type) => `${topicOf(type)}_${suffix}`,
      }),
    });
    await app.init();
    await app.startAllMicroservices();
    await app.getHttpAdapter().getInstance().ready();
    producer = kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await app?.close();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [orderTopic, `${orderTopic}.dlq`] }).catch(() => undefined);
    await admin.disconnect();
    // The app's pool is closed by now.
    const { Pool: PgPool } = await import('pg');
    const cleanup = new PgPool({ connectionString: settings.event_store.database_url });
    await cleanup.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await cleanup.end();
  });

  const envelope = (eventType: string, orderId: string, version: number, data: Record<string, unknown>, correlationId = randomUUID()): EventEnvelope => ({
    eventId: randomUUID(), eventType, aggregateType: 'Order', aggregateId: orderId, version, timestamp: new Date().toISOString(), schemaVersion: 1,
    data, metadata: { correlationId, causationId: randomUUID(), source: 'order-service' },
  });
  const orderPlaced = (orderId: string, paymentMethod: string, totalCents = 2_599) =>
    envelope('OrderPlaced', orderId, 1, {
      orderId, userId: USER_ID, items: [{ sku: 'SKU-1', quantity: 1, unitPriceCents: totalCents }], totalCents, currency: 'EUR', paymentMethod,
      paymentDeadline: new Date(Date.now() + 30_000).toISOString(),
    });
  const orderCancelled = (orderId: string, version: number, reason: string, refundDue: boolean) => envelope('OrderCancelled', orderId, version, { orderId, userId: USER_ID, reason, refundDue });
  const send = (...events: EventEnvelope[]) => producer.send({ topic: orderTopic, messages: events.map(toKafkaMessage) });

  const history = async (paymentId: string) => (await store.readStream(paymentId)).map((e) => e.eventType);
  /** The audit records (ARCHITECTURE §2) of the commands run on a payment, oldest first. */
  const audited = async (paymentId: string) =>
    (
      await pool.query<{ data: Record<string, unknown>; correlation_id: string }>(
        `SELECT data, metadata->>'correlationId' AS correlation_id FROM ${schema}.events WHERE event_type = 'CommandAudited' AND data->>'targetId' = $1 ORDER BY global_position`,
        [paymentId],
      )
    ).rows.map((r): Record<string, unknown> => ({ ...r.data, correlationId: r.correlation_id }));
  const waitForEvent = (paymentId: string, type: string, timeoutMs = 15_000): Promise<StoredEvent> =>
    waitFor(`${type} of ${paymentId}`, async () => (await store.readStream(paymentId)).find((e) => e.eventType === type), { timeoutMs });
  /** A tok_visa payment initiated while the app's own processor is stopped: the charge waits in pending_charges. */
  const initiatedWhileStopped = async (totalCents?: number) => {
    const own = app.get(PaymentProcessor);
    await own.stop();
    const orderId = randomUUID();
    const paymentId = paymentIdFor(orderId);
    await send(orderPlaced(orderId, 'tok_visa', totalCents));
    await waitForEvent(paymentId, 'PaymentInitiated');
    return { own, orderId, paymentId };
  };

  const waitForStatus = (orderId: string, status: string) =>
    waitFor(`payment of ${orderId} ${status} in the read model`, async () => {
      const page = (await http(`/payments?orderId=${orderId}`)).json();
      return page.items.length === 1 && page.items[0].status === status && page.items[0];
    });

  it('OrderPlaced(tok_visa) → PaymentInitiated → PaymentProcessed, one correlation tree; GET by order and by id (ETag, cache)', async () => {
    const orderId = randomUUID();
    const placed = orderPlaced(orderId, 'tok_visa');
    await send(placed);
    const paymentId = paymentIdFor(orderId);

    const processed = await waitForEvent(paymentId, 'PaymentProcessed');
    const [initiated] = await store.readStream(paymentId);
    expect(initiated).toMatchObject({
      eventType: 'PaymentInitiated', version: 1,
      data: { paymentId, orderId, userId: USER_ID, amountCents: 2_599, currency: 'EUR', paymentMethod: 'tok_visa' },
      metadata: { correlationId: placed.metadata.correlationId, causationId: placed.eventId, source: 'payment-service' },
    });
    expect(processed).toMatchObject({
      version: 2,
      data: { paymentId, orderId, userId: USER_ID, amountCents: 2_599, currency: 'EUR', providerReference: expect.stringMatching(/^ch_/) },
      metadata: { correlationId: placed.metadata.correlationId, causationId: initiated.eventId, source: 'payment-service' },
    });

    const view = await waitForStatus(orderId, 'processed');
    expect(view).toMatchObject({ id: paymentId, orderId, userId: USER_ID, status: 'processed', amountCents: 2_599, currency: 'EUR', providerReference: processed.data['providerReference'], version: 2 });

    const first = await http(`/payments/${paymentId}?minVersion=2`);
    expect(first.statusCode).toBe(200);
    expect(first.headers['etag']).toBe('"2"');
    const hits = app.get(QueryCache).stats.hits;
    const second = await http(`/payments/${paymentId}`);
    expect(second.headers['x-cache']).toBe('hit');
    expect(app.get(QueryCache).stats.hits).toBe(hits + 1);
    expect(second.json()).toEqual(first.json());

    expect((await pool.query(`SELECT status FROM ${schema}.pending_charges WHERE payment_id = $1`, [paymentId])).rows).toEqual([{ status: 'done' }]);
    // Each command audited in its own transaction, as the service's reaction, in the order's correlation.
    const reaction = { actor: 'payment-service', outcome: 'accepted', targetId: paymentId, correlationId: placed.metadata.correlationId };
    expect(await audited(paymentId)).toEqual([
      { ...reaction, command: 'InitiatePayment' },
      { ...reaction, command: 'RecordChargeOutcome' },
    ]);
  });

  it('the same OrderPlaced delivered twice, and once more under a new event id → exactly one payment, charged once', async () => {
    const orderId = randomUUID();
    const placed = orderPlaced(orderId, 'tok_visa');
    const republished = { ...placed, eventId: randomUUID() };
    await send(placed, placed, republished);
    const paymentId = paymentIdFor(orderId);
    await waitForEvent(paymentId, 'PaymentProcessed');
    await waitForStatus(orderId, 'processed');
    // The third copy is behind the others on the same partition: once it is in the inbox, all were handled.
    await waitFor('all three copies handled', async () => (await pool.query(`SELECT 1 FROM ${schema}.inbox WHERE event_id = $1`, [republished.eventId])).rowCount === 1);
    expect(await history(paymentId)).toEqual(['PaymentInitiated', 'PaymentProcessed']);
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${schema}.payments WHERE order_id = $1`, [orderId])).rows[0].n).toBe(1);
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${schema}.pending_charges WHERE order_id = $1`, [orderId])).rows[0].n).toBe(1);
    // The copy under a new event id was ignored: no accepted record for it.
    expect((await audited(paymentId)).filter((a) => a['command'] === 'InitiatePayment')).toHaveLength(1);
  });

  it('OrderPlaced(tok_chargeDeclined) → PaymentFailed (card_declined); an unknown token fails too', async () => {
    const declined = randomUUID();
    const unknown = randomUUID();
    await send(orderPlaced(declined, 'tok_chargeDeclined'), orderPlaced(unknown, 'tok_nonsense'));
    expect((await waitForEvent(paymentIdFor(declined), 'PaymentFailed')).data).toEqual({ paymentId: paymentIdFor(declined), orderId: declined, userId: USER_ID, reason: 'card_declined' });
    expect((await waitForEvent(paymentIdFor(unknown), 'PaymentFailed')).data).toMatchObject({ reason: 'unknown_payment_method' });
    expect(await waitForStatus(declined, 'failed')).toMatchObject({ failureReason: 'card_declined', version: 2 });
    expect(await history(paymentIdFor(declined))).toEqual(['PaymentInitiated', 'PaymentFailed']);
  });

  it('OrderCancelled(refundDue) after the payment → PaymentRefunded in full; a second cancellation changes nothing', async () => {
    const orderId = randomUUID();
    const paymentId = paymentIdFor(orderId);
    const placed = orderPlaced(orderId, 'tok_visa', 4_200);
    await send(placed);
    await waitForEvent(paymentId, 'PaymentProcessed');
    const cancelled = orderCancelled(orderId, 3, 'customer_request', true);
    const again = { ...orderCancelled(orderId, 3, 'customer_request', true), metadata: cancelled.metadata };
    await send(cancelled, again);
    const refunded = await waitForEvent(paymentId, 'PaymentRefunded');
    expect(refunded).toMatchObject({
      data: { paymentId, orderId, userId: USER_ID, amountCents: 4_200, currency: 'EUR', reason: 'order_cancelled' },
      metadata: { causationId: cancelled.eventId, correlationId: cancelled.metadata.correlationId },
    });
    expect(await waitForStatus(orderId, 'refunded')).toMatchObject({ refundReason: 'order_cancelled', version: 3 });
    await waitFor('the second cancellation handled', async () => (await pool.query(`SELECT 1 FROM ${schema}.inbox WHERE event_id = $1`, [again.eventId])).rowCount === 1);
    expect(await history(paymentId)).toEqual(['PaymentInitiated', 'PaymentProcessed', 'PaymentRefunded']);
    expect((await audited(paymentId)).map((a) => a['command'])).toEqual(['InitiatePayment', 'RecordChargeOutcome', 'RefundCancelledOrderPayment']);
  });

  it('tok_timeout, and the order is cancelled before the charge succeeds → processed, then refunded automatically', async () => {
    const orderId = randomUUID();
    const paymentId = paymentIdFor(orderId);
    await send(orderPlaced(orderId, 'tok_timeout'));
    await waitForEvent(paymentId, 'PaymentInitiated');
    await send(orderCancelled(orderId, 2, 'payment_timeout', false));
    // The cancellation is noted while the charge is still under way (the sandbox takes 1 s).
    await waitFor('the cancellation noted', async () => (await pool.query(`SELECT 1 FROM ${schema}.order_states WHERE order_id = $1 AND cancelled_at IS NOT NULL`, [orderId])).rowCount === 1);
    expect(await history(paymentId)).toEqual(['PaymentInitiated']);

    const refunded = await waitForEvent(paymentId, 'PaymentRefunded');
    const [initiated, processed] = await store.readStream(paymentId);
    expect(processed.eventType).toBe('PaymentProcessed');
    expect(refunded).toMatchObject({ version: 3, data: { amountCents: 2_599, reason: 'order_cancelled_before_payment' }, metadata: { causationId: initiated.eventId } });
    expect(await waitForStatus(orderId, 'refunded')).toMatchObject({ refundReason: 'order_cancelled_before_payment', version: 3 });
  });

  it('a charge queued while the processor is stopped is made after it starts again (state in PostgreSQL)', async () => {
    const processor = app.get(PaymentProcessor);
    await processor.stop();
    const orderId = randomUUID();
    const paymentId = paymentIdFor(orderId);
    await send(orderPlaced(orderId, 'tok_visa'));
    await waitForEvent(paymentId, 'PaymentInitiated');
    expect((await pool.query(`SELECT status FROM ${schema}.pending_charges WHERE payment_id = $1`, [paymentId])).rows).toEqual([{ status: 'pending' }]);
    expect(await history(paymentId)).toEqual(['PaymentInitiated']);
    processor.start();
    await waitForEvent(paymentId, 'PaymentProcessed');
    expect(await history(paymentId)).toEqual(['PaymentInitiated', 'PaymentProcessed']);
  });

  it('two processors racing over the same queue charge each payment exactly once (FOR UPDATE SKIP LOCKED)', async () => {
    const own = app.get(PaymentProcessor);
    await own.stop();
    const orderIds = Array.from({ length: 8 }, () => randomUUID());
    await send(...orderIds.map((id) => orderPlaced(id, 'tok_visa')));
    await Promise.all(orderIds.map((id) => waitForEvent(paymentIdFor(id), 'PaymentInitiated')));

    const charged: string[] = [];
    const sandbox = new SandboxPaymentProvider(20, 1_000);
    const counting: PaymentProvider = { charge: (request) => (charged.push(request.idempotencyKey), sandbox.charge(request)) };
    const options = { concurrency: 3, pollIntervalMs: 20, retryBackoffMs: 10, maxBackoffMs: 100, shutdownGraceMs: 1_000, leaseMs: 10_000 };
    const replicas = [0, 1].map(() => new PaymentProcessor(pool, app.get(SERVICE), counting, options, app.get(CommandBus)));
    replicas.forEach((p) => p.start());
    try {
      await Promise.all(orderIds.map((id) => waitForEvent(paymentIdFor(id), 'PaymentProcessed')));
    } finally {
      await Promise.all(replicas.map((p) => p.stop()));
      own.start();
    }
    expect(charged.sort()).toEqual(orderIds.map(paymentIdFor).sort());
    for (const id of orderIds) expect(await history(paymentIdFor(id))).toEqual(['PaymentInitiated', 'PaymentProcessed']);
  });

  it('a success recorded while the cancellation is committing waits for it, then refunds (order_states row lock)', async () => {
    const { own, orderId, paymentId } = await initiatedWhileStopped();
    // A cancellation in flight: its transaction holds the order's row and has not committed.
    const cancelling = await pool.connect();
    try {
      await cancelling.query('BEGIN');
      await noteOrderCancelled(cancelling, schema, orderId, 'payment_timeout');
      own.start();
      await waitFor('the processor to wait for the order row', async () =>
        (await pool.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`, [`%${schema}.order_states%`])).rowCount === 1);
      expect(await history(paymentId)).toEqual(['PaymentInitiated']);
      await cancelling.query('COMMIT');
    } finally {
      cancelling.release();
    }
    await waitForEvent(paymentId, 'PaymentRefunded');
    expect(await history(paymentId)).toEqual(['PaymentInitiated', 'PaymentProcessed', 'PaymentRefunded']);
  });

  it('asks the provider for what the queued charge holds (amount, currency, method; the payment id as key), reading no event first', async () => {
    const { own, paymentId } = await initiatedWhileStopped(4_321);
    const reads = [jest.spyOn(store, 'loadAggregate'), jest.spyOn(store, 'readStream')];
    const asked: Array<{ request: ChargeRequest; readsBefore: number }> = [];
    const sandbox = new SandboxPaymentProvider(1, 1_000);
    const provider: PaymentProvider = {
      charge: (request) => {
        asked.push({ request, readsBefore: reads.reduce((n, read) => n + read.mock.calls.length, 0) });
        return sandbox.charge(request);
      },
    };
    const options = { concurrency: 1, pollIntervalMs: 60_000, retryBackoffMs: 10, maxBackoffMs: 100, shutdownGraceMs: 1_000, leaseMs: 10_000 };
    try {
      await new PaymentProcessor(pool, app.get(SERVICE), provider, options, app.get(CommandBus)).processOne();
    } finally {
      reads.forEach((read) => read.mockRestore());
      own.start();
    }
    expect(asked).toEqual([{ request: { idempotencyKey: paymentId, amountCents: 4_321, currency: 'EUR', paymentMethod: 'tok_visa' }, readsBefore: 0 }]);
    expect(await history(paymentId)).toEqual(['PaymentInitiated', 'PaymentProcessed']);
  });

  it('migration 3 gives the charges queued before it their amount, currency and method, from their PaymentInitiated', async () => {
    const older = uniqueName('payment_m3');
    const paymentId = randomUUID();
    try {
      await migrateEventStore(pool, { schema: older, partitions: settings.event_store.partitions });
      await runMigrations(pool, older, paymentService.name, (paymentService.migrations ?? []).slice(0, 2));
      await pool.query(`INSERT INTO ${older}.pending_charges (payment_id, order_id) VALUES ($1, $2)`, [paymentId, randomUUID()]);
      await pool.query(
        `INSERT INTO ${older}.events (aggregate_id, version, event_id, event_type, aggregate_type, schema_version, data, metadata, occurred_at)
         VALUES ($1, 1, gen_random_uuid(), 'PaymentInitiated', 'Payment', 1, $2, '{}', now())`,
        [paymentId, { paymentId, orderId: randomUUID(), userId: USER_ID, amountCents: 1_234, currency: 'USD', paymentMethod: 'tok_visa' }],
      );
      await runMigrations(pool, older, paymentService.name, paymentService.migrations ?? []);
      const { rows } = await pool.query(`SELECT amount_cents::int, currency, payment_method FROM ${older}.pending_charges WHERE payment_id = $1`, [paymentId]);
      expect(rows).toEqual([{ amount_cents: 1_234, currency: 'USD', payment_method: 'tok_visa' }]);
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS ${older} CASCADE`);
    }
  });

  it('a provider error is retried with backoff, with the same idempotency key, until there is an answer', async () => {
    const { own, paymentId } = await initiatedWhileStopped();
    const calls: string[] = [];
    const sandbox = new SandboxPaymentProvider(1, 1_000);
    const flaky: PaymentProvider = {
      charge: async (request) => {
        calls.push(request.idempotencyKey);
        if (calls.length < 3) throw new Error('provider unavailable (503)');
        return sandbox.charge(request);
      },
    };
    const options = { concurrency: 1, pollIntervalMs: 20, retryBackoffMs: 10, maxBackoffMs: 100, shutdownGraceMs: 1_000, leaseMs: 10_000 };
    const processor = new PaymentProcessor(pool, app.get(SERVICE), flaky, options, app.get(CommandBus));
    processor.start();
    try {
      await waitForEvent(paymentId, 'PaymentProcessed');
    } finally {
      await processor.stop();
      own.start();
    }
    expect(calls).toEqual([paymentId, paymentId, paymentId]);
    expect((await pool.query(`SELECT status, attempts, last_error FROM ${schema}.pending_charges WHERE payment_id = $1`, [paymentId])).rows).toEqual([
      { status: 'done', attempts: 2, last_error: 'provider unavailable (503)' },
    ]);
  });

  it('a charge still under way at shutdown is abandoned after the grace period and made after the next start', async () => {
    const { own, paymentId } = await initiatedWhileStopped();
    let called = false;
    const hanging: PaymentProvider = { charge: () => ((called = true), new Promise(() => undefined)) };
    const options = { concurrency: 1, pollIntervalMs: 20, retryBackoffMs: 10, maxBackoffMs: 100, shutdownGraceMs: 50, leaseMs: 10_000 };
    const processor = new PaymentProcessor(pool, app.get(SERVICE), hanging, options, app.get(CommandBus));
    processor.start();
    await waitFor('the charge to be under way', () => called);
    const started = performance.now();
    await processor.stop();
    expect(performance.now() - started).toBeLessThan(2_000);
    expect((await pool.query(`SELECT status, attempts FROM ${schema}.pending_charges WHERE payment_id = $1`, [paymentId])).rows).toEqual([{ status: 'pending', attempts: 0 }]);
    expect(await history(paymentId)).toEqual(['PaymentInitiated']);
    own.start();
    await waitForEvent(paymentId, 'PaymentProcessed');
  });

  it('holds no transaction or row lock while the provider answers, renews its lease meanwhile, so a second replica never charges it too', async () => {
    const { own, paymentId } = await initiatedWhileStopped();
    const calls: string[] = [];
    let answer: (() => void) | undefined;
    const sandbox = new SandboxPaymentProvider(1, 1_000);
    const slow: PaymentProvider = { charge: (request) => (calls.push(request.idempotencyKey), new Promise<void>((r) => (answer = r)).then(() => sandbox.charge(request))) };
    const options = { concurrency: 1, pollIntervalMs: 20, retryBackoffMs: 10, maxBackoffMs: 100, shutdownGraceMs: 1_000, leaseMs: 300 };
    const replicas = [0, 1].map(() => new PaymentProcessor(pool, app.get(SERVICE), slow, options, app.get(CommandBus)));
    replicas.forEach((p) => p.start());
    try {
      await waitFor('the charge to be under way', () => answer !== undefined);
      // Another session can lock the row at once: nobody holds it (or a transaction) during the call.
      const other = await pool.connect();
      try {
        await other.query('BEGIN');
        const { rows } = await other.query(`SELECT claim_token IS NOT NULL AS claimed, not_before > now() AS leased FROM ${schema}.pending_charges WHERE payment_id = $1 FOR UPDATE NOWAIT`, [paymentId]);
        expect(rows).toEqual([{ claimed: true, leased: true }]);
      } finally {
        await other.query('ROLLBACK');
        other.release();
      }
      // Several lease lengths pass while the provider thinks: renewals keep the other replica off it.
      const until = Date.now() + 1_200;
      await waitFor('three lease lengths to pass', () => Date.now() > until, { timeoutMs: 5_000 });
      expect(calls).toEqual([paymentId]);
      answer?.();
      await waitForEvent(paymentId, 'PaymentProcessed');
    } finally {
      answer?.();
      await Promise.all(replicas.map((p) => p.stop()));
      own.start();
    }
    expect(calls).toEqual([paymentId]);
    expect(await history(paymentId)).toEqual(['PaymentInitiated', 'PaymentProcessed']);
  });

  /**
   * Queues `count` charges while the service's processor is stopped, then lets a processor with
   * room for `concurrency` and a poll a minute away make them all: the claims it took.
   */
  async function claimsToDrain(count: number, concurrency: number): Promise<number> {
    const own = app.get(PaymentProcessor);
    await own.stop();
    const orderIds = Array.from({ length: count }, () => randomUUID());
    await send(...orderIds.map((orderId) => orderPlaced(orderId, 'tok_visa')));
    for (const orderId of orderIds) await waitForEvent(paymentIdFor(orderId), 'PaymentInitiated');
    const claims = () => jest.mocked(pool.query).mock.calls.filter(([query]) => /claim_token = gen_random_uuid\(\)/.test((query as { text?: string }).text ?? '')).length;
    jest.spyOn(pool, 'query');
    const options = { concurrency, pollIntervalMs: 60_000, retryBackoffMs: 10, maxBackoffMs: 100, shutdownGraceMs: 1_000, leaseMs: 10_000 };
    const processor = new PaymentProcessor(pool, app.get(SERVICE), new SandboxPaymentProvider(1, 1_000), options, app.get(CommandBus));
    processor.start();
    try {
      for (const orderId of orderIds) await waitForEvent(paymentIdFor(orderId), 'PaymentProcessed', 20_000);
      await processor.stop(); // one that claims again after the last charge has done so by now
      return claims();
    } finally {
      await processor.stop();
      jest.mocked(pool.query).mockRestore();
      own.start();
    }
  }

  it('drains a backlog of charges one after the other without waiting for its poll, and makes no empty claim after the last', async () => {
    // Room for one: only claiming on at once drains the three in time.
    expect(await claimsToDrain(3, 1)).toBe(3);
  });

  it('leases every due charge it has room for in one statement, and claims nothing more once none is left', async () => {
    // Room for eight: one claim takes all five.
    expect(await claimsToDrain(5, 8)).toBe(1);
  });

  it('a charge leased by a worker that died is taken over when the lease expires, with the same idempotency key', async () => {
    const { own, paymentId } = await initiatedWhileStopped();
    // What a worker killed mid-charge leaves behind: a claim nobody renews.
    await pool.query(`UPDATE ${schema}.pending_charges SET claim_token = gen_random_uuid(), not_before = now() + interval '1 second' WHERE payment_id = $1`, [paymentId]);
    own.start();
    await own.processOne(); // nothing due yet: the lease still stands
    expect(await history(paymentId)).toEqual(['PaymentInitiated']);
    await waitForEvent(paymentId, 'PaymentProcessed');
    expect((await pool.query(`SELECT status, claim_token FROM ${schema}.pending_charges WHERE payment_id = $1`, [paymentId])).rows).toEqual([{ status: 'done', claim_token: null }]);
  });

  it('lists by user and status with a cursor; 404 for an unknown payment, 400 for bad input', async () => {
    const page1 = (await http(`/payments?userId=${USER_ID}&status=processed&limit=1`)).json();
    expect(page1.items).toHaveLength(1);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const page2 = (await http(`/payments?userId=${USER_ID}&status=processed&limit=1&cursor=${page1.nextCursor}`)).json();
    expect(page2.items).toHaveLength(1);
    expect(page2.items[0].id).not.toBe(page1.items[0].id);
    expect((await http(`/payments/${randomUUID()}`)).statusCode).toBe(404);
    expect((await http('/payments/not-a-uuid')).statusCode).toBe(400);
    expect((await http('/payments?cursor=garbage')).statusCode).toBe(400);
    expect((await http('/payments?status=lost')).statusCode).toBe(400);
  });
});

const USER_ID = '7a1f2c3e-1111-4c36-9f5b-0a9c7a4f5d11';
