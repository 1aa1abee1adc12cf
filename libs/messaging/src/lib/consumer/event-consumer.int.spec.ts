import { deadLetterTopic, type EventEnvelope } from '@causeway/contracts';
import { isDatabaseUnavailable, refuseNestedConnections } from '@causeway/eventsourcing';
import { createTestDatabase, TcpProxy, testSettings, uniqueName, waitFor, workspaceRoot, type TestDatabase } from '@causeway/testing';
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { Pool } from 'pg';
import { toKafkaMessage } from '../kafka-message';
import { EventConsumer, MAX_SHARED_TRANSACTION, type EventConsumerOptions, type EventHandlerFn } from './event-consumer';
import { migrateMessaging } from './inbox.migrations';

function userCreated(email = `${randomUUID()}@example.com`): EventEnvelope {
  const userId = randomUUID();
  return {
    eventId: randomUUID(),
    eventType: 'UserCreated',
    aggregateType: 'User',
    aggregateId: userId,
    version: 1,
    timestamp: new Date().toISOString(),
    schemaVersion: 2,
    data: { userId, email, givenName: 'Test', familyName: 'User' },
    metadata: { correlationId: randomUUID(), causationId: randomUUID(), source: 'consumer-test' },
  };
}

describe('EventConsumer (real PostgreSQL and Kafka)', () => {
  const settings = testSettings();
  const kafka = new Kafka({ clientId: 'consumer-test', brokers: settings.kafka.brokers, logLevel: logLevel.NOTHING });
  let db: TestDatabase;
  let admin: Admin;
  let producer: Producer;
  let topic: string;
  const running: Array<{ stop(): Promise<void> }> = [];

  beforeEach(async () => {
    db = await createTestDatabase('consumer', 20);
    refuseNestedConnections(db.pool); // a handler or projection reaching past its transaction fails the test
    await migrateMessaging(db.pool, db.schema);
    await db.pool.query(`CREATE TABLE ${db.schema}.effects (event_id uuid NOT NULL, at timestamptz NOT NULL DEFAULT now(), tx xid8 NOT NULL DEFAULT pg_current_xact_id())`);
    topic = uniqueName('consumer_test');
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [topic, deadLetterTopic(topic)].map((t) => ({ topic: t, numPartitions: 3, replicationFactor: 1 })) });
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.stop()));
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic, deadLetterTopic(topic)] }).catch(() => undefined);
    await admin.disconnect();
    await db.dispose();
  });

  const effects = async (eventId?: string): Promise<number> =>
    (await db.pool.query(`SELECT count(*)::int AS n FROM ${db.schema}.effects ${eventId ? 'WHERE event_id = $1' : ''}`, eventId ? [eventId] : [])).rows[0].n;

  const recordEffect: EventHandlerFn = async (event, { transaction }) => {
    await transaction.query(`INSERT INTO ${db.schema}.effects (event_id) VALUES ($1)`, [event.eventId]);
  };

  /** A started consumer of the test topic (stopped after the test), on the test's pool unless given another. */
  async function startConsumer(
    handler: EventHandlerFn,
    { pool = db.pool, groupId = uniqueName('group'), ...options }: Partial<EventConsumerOptions> & { pool?: Pool } = {},
  ): Promise<{ groupId: string; consumer: EventConsumer }> {
    const consumer = new EventConsumer(
      kafka,
      pool,
      { groupId, topics: [topic], schema: db.schema, workerThreads: 3, batchSize: 100, processingTimeoutMs: 5_000, maxAttempts: 3, retryBackoffMs: 10, ...options },
      new Map([['UserCreated', handler]]),
    );
    await consumer.start();
    running.push(consumer);
    return { groupId, consumer };
  }

  const deadLettered = async () => (await admin.fetchTopicOffsets(deadLetterTopic(topic))).reduce((sum, p) => sum + Number(p.high), 0);

  /** PostgreSQL behind a proxy of the test's own (cut it for an outage) and a pool through it. */
  async function databaseBehindProxy() {
    const url = settings.event_store.database_url;
    const proxy = await TcpProxy.to(url, 5432);
    const pool = new Pool({ connectionString: proxy.url(url), max: 4, connectionTimeoutMillis: 1_000 });
    pool.on('error', () => undefined);
    return { proxy, pool };
  }

  it('gives a redelivered event exactly one effect', async () => {
    await startConsumer(recordEffect);
    const twice = userCreated();
    const marker = userCreated();
    // Same key → same partition → processed in this order.
    await producer.send({ topic, acks: -1, messages: [toKafkaMessage(twice), toKafkaMessage(twice), { ...toKafkaMessage(marker), key: twice.aggregateId }] });
    await waitFor('the marker after both copies to be handled', async () => (await effects(marker.eventId)) === 1);
    expect(await effects(twice.eventId)).toBe(1);
    const inbox = await db.pool.query(`SELECT count(*)::int AS n FROM ${db.schema}.inbox WHERE event_id = $1`, [twice.eventId]);
    expect(inbox.rows[0].n).toBe(1);
  });

  it('gives a copy of an event under another key one effect, though both share a transaction; an id in capitals is handled too', async () => {
    const twice = userCreated();
    const capitals = { ...userCreated(), eventId: randomUUID().toUpperCase() };
    const marker = userCreated();
    // A backlog on one partition, the copy under a key of its own: one group, one inbox statement.
    await producer.send({
      topic,
      acks: -1,
      messages: [toKafkaMessage(twice), { ...toKafkaMessage(twice), key: randomUUID() }, toKafkaMessage(capitals), toKafkaMessage(marker)].map((m) => ({ ...m, partition: 0 })),
    });
    await startConsumer(recordEffect);
    await waitFor('the marker after the others to be handled', async () => (await effects(marker.eventId)) === 1);
    expect(await effects(twice.eventId)).toBe(1);
    expect(await effects(capitals.eventId)).toBe(1);
    const { rows } = await db.pool.query<{ tx: string }>(`SELECT DISTINCT tx::text FROM ${db.schema}.effects`);
    expect(rows).toHaveLength(1);
  });

  it('runs each handler call through `around` (services put the event’s correlation id in context there)', async () => {
    const correlation = new AsyncLocalStorage<string>();
    const seen: Array<string | undefined> = [];
    await startConsumer(
      async (event, context) => {
        seen.push(correlation.getStore());
        await recordEffect(event, context);
      },
      { around: (event, work) => correlation.run(event.metadata.correlationId, work) },
    );
    const event = userCreated();
    await producer.send({ topic, acks: -1, messages: [toKafkaMessage(event)] });
    await waitFor('the event to be handled', async () => (await effects(event.eventId)) === 1);
    expect(seen).toEqual([event.metadata.correlationId]);
  });

  it('handles a partition’s backlog of different aggregates in shared transactions, one aggregate’s events one commit after the other', async () => {
    const events = Array.from({ length: 30 }, () => userCreated());
    // Events 5 and 6 are of one aggregate (same key): 6 must not share 5's transaction.
    const messages = events.map((e, i) => ({ ...toKafkaMessage(e), key: events[i === 6 ? 5 : i].aggregateId, partition: 0 }));
    await producer.send({ topic, acks: -1, messages });
    await startConsumer(recordEffect);
    await waitFor('every event to take effect', async () => (await effects()) === 30);
    const { rows } = await db.pool.query<{ event_id: string; tx: string }>(`SELECT event_id, tx::text FROM ${db.schema}.effects`);
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(30);
    const txOf = new Map(rows.map((r) => [r.event_id, r.tx]));
    expect(new Set(txOf.values()).size).toBeLessThanOrEqual(5);
    expect(txOf.get(events[6].eventId)).not.toBe(txOf.get(events[5].eventId));
  });

  it('lets the messages of types it does not handle pass within a shared transaction', async () => {
    const events = Array.from({ length: 10 }, () => userCreated());
    // Each handled event followed by one of a type this consumer ignores, as on a topic several services share.
    const messages = events.flatMap((e) => [e, { ...userCreated(), eventType: 'UserDeleted' }]).map((e) => ({ ...toKafkaMessage(e), partition: 0 }));
    await producer.send({ topic, acks: -1, messages });
    await startConsumer(recordEffect);
    await waitFor('every handled event to take effect', async () => (await effects()) === 10);
    const { rows } = await db.pool.query<{ n: number }>(`SELECT count(DISTINCT tx)::int AS n FROM ${db.schema}.effects`);
    expect(rows[0].n).toBeLessThanOrEqual(2);
  });

  it('shares a transaction among at most MAX_SHARED_TRANSACTION messages however large the batch, so savepoints never overflow PostgreSQL’s 64 cached subtransactions', async () => {
    const events = Array.from({ length: 90 }, () => userCreated());
    await producer.send({ topic, acks: -1, messages: events.map((e) => ({ ...toKafkaMessage(e), partition: 0 })) });
    // Each handler opens a savepoint and writes in it, as a multi-event append does.
    await startConsumer(async (event, context) => {
      await context.transaction.query('SAVEPOINT effect');
      await recordEffect(event, context);
      await context.transaction.query('RELEASE SAVEPOINT effect');
    });
    await waitFor('every event to take effect', async () => (await effects()) === 90);
    const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${db.schema}.effects GROUP BY tx ORDER BY n DESC`);
    expect(rows[0].n).toBeLessThanOrEqual(MAX_SHARED_TRANSACTION);
    expect(rows[0].n).toBeGreaterThan(1); // still shared
  });

  it('prunes its own group’s inbox rows past the retention, and only those', async () => {
    const consumer = new EventConsumer(
      kafka,
      db.pool,
      { groupId: 'pruned', topics: [topic], schema: db.schema, workerThreads: 1, batchSize: 100, processingTimeoutMs: 5_000, maxAttempts: 1, retryBackoffMs: 10, inboxRetentionMs: 24 * 3600_000 },
      new Map(),
    );
    const row = (group: string, age: string) =>
      db.pool.query(`INSERT INTO ${db.schema}.inbox (consumer_group, event_id, event_type, topic, partition, "offset", processed_at) VALUES ($1, $2, 'UserCreated', $3, 0, 0, now() - $4::interval)`, [group, randomUUID(), topic, age]);
    for (let i = 0; i < 3; i++) await row('pruned', '2 days');
    await row('pruned', '23 hours');
    await row('other', '30 days');
    expect(await consumer.pruneInbox()).toBe(3);
    const { rows } = await db.pool.query(`SELECT consumer_group, (now() - processed_at) < interval '1 day' AS recent FROM ${db.schema}.inbox ORDER BY consumer_group`);
    expect(rows).toEqual([{ consumer_group: 'other', recent: false }, { consumer_group: 'pruned', recent: true }]);
    expect(await consumer.pruneInbox()).toBe(0);
  });

  it('falls back to one event per transaction when one of a shared transaction fails: the others take effect once, the failing one is retried on its own', async () => {
    const events = Array.from({ length: 10 }, () => userCreated());
    const poison = events[4];
    let poisonTries = 0;
    await producer.send({ topic, acks: -1, messages: events.map((e) => ({ ...toKafkaMessage(e), partition: 0 })) });
    await startConsumer(async (event, context) => {
      if (event.eventId === poison.eventId) {
        poisonTries++;
        throw new Error('poison');
      }
      await recordEffect(event, context);
    }, { maxAttempts: 2 });
    await waitFor('the nine others to take effect', async () => (await effects()) === 9, { timeoutMs: 20_000 });
    const { rows } = await db.pool.query(`SELECT count(DISTINCT event_id)::int AS n FROM ${db.schema}.effects`);
    expect(rows[0].n).toBe(9);
    // Once in the shared transaction, then max attempts (2) on its own.
    await waitFor('the poison to be retried on its own', () => poisonTries === 3);
    expect(await effects(poison.eventId)).toBe(0);
  });

  it('dead-letters a message after N failed attempts, with its error, and keeps the partition flowing', async () => {
    const poison = userCreated('poison@example.com');
    let attempts = 0;
    const { groupId } = await startConsumer(async (event, context) => {
      if (event.eventType === 'UserCreated' && event.data.email === 'poison@example.com') {
        attempts++;
        throw new Error(`cannot handle ${event.eventId} (attempt ${context.attempt})`);
      }
      await recordEffect(event, context);
    }, { maxAttempts: 3 });
    const after = userCreated();
    const invalid = { ...toKafkaMessage(userCreated()), key: poison.aggregateId, value: JSON.stringify({ ...userCreated(), data: { email: 'not-an-email' } }) };
    // Broken too, but of a type this consumer does not handle: skipped by its header, unparsed, not dead-lettered here.
    const ignored = { key: poison.aggregateId, value: 'not json', headers: { 'event-type': 'UserDeleted' } };
    await producer.send({ topic, acks: -1, messages: [toKafkaMessage(poison), invalid, ignored, { ...toKafkaMessage(after), key: poison.aggregateId }] });

    await waitFor('the message after the poison one to be handled', async () => (await effects(after.eventId)) === 1, { timeoutMs: 20_000 });
    expect(attempts).toBe(3);
    expect(await effects(poison.eventId)).toBe(0);

    const dlq = kafka.consumer({ groupId: uniqueName('dlq_reader') });
    const dead: Array<{ headers: Record<string, string>; value: string }> = [];
    await dlq.connect();
    await dlq.subscribe({ topic: deadLetterTopic(topic), fromBeginning: true });
    await dlq.run({ eachMessage: async ({ message }) => void dead.push({ value: String(message.value), headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])) }) });
    try {
      await waitFor('two dead letters', () => dead.length >= 2, { timeoutMs: 20_000 });
    } finally {
      await dlq.disconnect();
    }
    expect(await deadLettered()).toBe(2);
    const [handlerFailure, undecodable] = dead;
    expect(JSON.parse(handlerFailure.value).eventId).toBe(poison.eventId);
    expect(handlerFailure.headers).toMatchObject({
      'dlq-error': `cannot handle ${poison.eventId} (attempt 3)`,
      'dlq-error-type': 'Error',
      'dlq-attempts': '3',
      'dlq-original-topic': topic,
      'dlq-consumer-group': groupId,
      'event-id': poison.eventId,
    });
    expect(undecodable.headers['dlq-error-type']).toBe('InvalidEventPayloadError');
    expect(undecodable.headers['dlq-error']).toMatch(/email/);
    expect(undecodable.headers['dlq-attempts']).toBe('1');
  });

  it('starts a new consumer after a crash kafkajs gives up on (a dead letter its topic refuses), until one runs: the event is dead-lettered once the topic takes it, and the partition flows on', async () => {
    const dlqSize = (bytes: number) =>
      admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: deadLetterTopic(topic), configEntries: [{ name: 'max.message.bytes', value: String(bytes) }] }] });
    await dlqSize(1_024);
    const poison = userCreated('poison@example.com');
    const after = userCreated();
    // The padding makes the dead letter larger than its topic accepts now: MESSAGE_TOO_LARGE, which
    // kafkajs does not retry; its consumer stops for good.
    const padded = { ...toKafkaMessage(poison), headers: { ...toKafkaMessage(poison).headers, padding: 'x'.repeat(4_000) } };
    await producer.send({ topic, acks: -1, messages: [padded, { ...toKafkaMessage(after), key: poison.aggregateId }] });
    const crashes: Array<{ error: string; delay: number }> = [];
    let recoveries = 0;
    await startConsumer(
      async (event, context) => {
        if (event.eventId === poison.eventId) throw new Error('poison');
        await recordEffect(event, context);
      },
      { maxAttempts: 1, onCrashed: (error, delay) => crashes.push({ error: (error as Error).message, delay }), onRecovered: () => recoveries++ },
    );
    await waitFor('the consumer to crash on the refused dead letter', () => crashes.length >= 1, { timeoutMs: 20_000 });
    expect(crashes[0]).toEqual({ error: expect.stringMatching(/larger than the max message size/), delay: 1_000 });
    expect(await effects(after.eventId)).toBe(0); // behind the poison, in its partition

    await dlqSize(1_048_588);
    await waitFor('a new consumer to dead-letter the poison and handle the event after it', async () => (await effects(after.eventId)) === 1, { timeoutMs: 30_000 });
    expect(await deadLettered()).toBe(1);
    expect(recoveries).toBeGreaterThanOrEqual(1);
    // Each crash before the topic took the dead letter was restarted later than the one before.
    expect(crashes.map((c) => c.delay)).toEqual(crashes.map((_, i) => Math.min(1_000 * 2 ** i, 30_000)));
    expect(await effects()).toBe(1);
  });

  it('waits out a database outage without counting it as attempts: nothing dead-lettered, every event handled once when it is back', async () => {
    const { proxy, pool } = await databaseBehindProxy();
    const failures: unknown[] = [];
    const { consumer } = await startConsumer(recordEffect, { pool, maxAttempts: 2, onError: (e) => failures.push(e) });
    try {
      await proxy.cut();
      const events = [userCreated(), userCreated(), userCreated()];
      await producer.send({ topic, acks: -1, messages: events.map(toKafkaMessage) });
      // Each event tried well past its two attempts, every try failing on the database.
      await waitFor('tries beyond the attempts', () => failures.length >= events.length * 4, { timeoutMs: 20_000 });
      expect(failures.every(isDatabaseUnavailable)).toBe(true);
      expect(await effects()).toBe(0);

      await proxy.restore();
      await waitFor('every event handled once the database is back', async () => (await effects()) === events.length, { timeoutMs: 20_000 });
      for (const event of events) expect(await effects(event.eventId)).toBe(1);
      expect(await deadLettered()).toBe(0);
    } finally {
      await consumer.stop();
      await pool.end();
      await proxy.cut();
    }
  });

  it('stops promptly while waiting out an outage, leaving the event to its group: handled once after the restart, nothing dead-lettered', async () => {
    const { proxy, pool } = await databaseBehindProxy();
    const failures: unknown[] = [];
    const { consumer, groupId } = await startConsumer(recordEffect, { pool, maxAttempts: 2, onError: (e) => failures.push(e) });
    try {
      await proxy.cut();
      await producer.send({ topic, acks: -1, messages: [toKafkaMessage(userCreated())] });
      await waitFor('tries beyond the attempts', () => failures.length >= 4, { timeoutMs: 20_000 });
      // A stop neither waits for the database nor gives the event up to the DLQ.
      const deadline = new Promise((_, reject) => setTimeout(() => reject(new Error('stop() waited for the database')), 10_000).unref());
      await Promise.race([consumer.stop(), deadline]);
    } finally {
      await consumer.stop();
      await pool.end();
      await proxy.cut();
    }
    expect(await effects()).toBe(0);
    await startConsumer(recordEffect, { groupId, maxAttempts: 2 });
    await waitFor('the event handled by the group’s next consumer', async () => (await effects()) === 1, { timeoutMs: 20_000 });
    expect(await deadLettered()).toBe(0);
  });

  it('loses nothing and doubles nothing when a consumer is SIGKILLed mid-batch and restarted', async () => {
    const events = Array.from({ length: 300 }, () => userCreated());
    for (let i = 0; i < events.length; i += 100) await producer.send({ topic, acks: -1, messages: events.slice(i, i + 100).map(toKafkaMessage) });
    const group = uniqueName('killed_group');
    const child = (): ChildProcess =>
      spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, '../../../test/consumer-child.ts')], {
        cwd: workspaceRoot(),
        env: { ...process.env, SWC_NODE_PROJECT: join(workspaceRoot(), 'tsconfig.base.json'), DATABASE_URL: settings.event_store.database_url, KAFKA_BROKERS: settings.kafka.brokers.join(','), SCHEMA: db.schema, TOPIC: topic, GROUP: group },
        stdio: ['ignore', 'ignore', 'inherit'],
      });

    const first = child();
    await waitFor('the first consumer to be partway through', async () => (await effects()) >= 60, { timeoutMs: 45_000 });
    const exited = new Promise((r) => first.once('exit', r));
    first.kill('SIGKILL');
    await exited;
    const handledBeforeKill = await effects();
    expect(handledBeforeKill).toBeLessThan(300);

    const second = child();
    try {
      await waitFor('all 300 events to have their effect', async () => (await effects()) >= 300, { timeoutMs: 60_000 });
    } finally {
      const done = new Promise((r) => second.once('exit', r));
      second.kill('SIGTERM');
      await done;
    }
    const { rows } = await db.pool.query(`SELECT event_id, count(*)::int AS n FROM ${db.schema}.effects GROUP BY event_id HAVING count(*) > 1`);
    expect(rows).toEqual([]);
    expect(await effects()).toBe(300);
    for (const e of events.slice(0, 5)) expect(await effects(e.eventId)).toBe(1);
  });
});
