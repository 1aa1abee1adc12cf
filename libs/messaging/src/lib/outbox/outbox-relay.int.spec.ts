import { migrateEventStore, PostgresEventStore, type EventSchemas } from '@causeway/eventsourcing';
import { contractTestSchemas, noted } from '@causeway/eventsourcing/testing';
import { createTestDatabase, ScratchKafkaBroker, testSettings, uniqueName, waitFor, type TestDatabase } from '@causeway/testing';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { OutboxRelay } from './outbox-relay';

interface Received {
  aggregateId: string;
  version: number;
  eventId: string;
  headers: Record<string, string>;
}

/** Reads everything on `topic` into an array, from the beginning, under a group of its own. */
async function collect(kafka: Kafka, topic: string): Promise<{ received: Received[]; consumer: Consumer }> {
  const consumer = kafka.consumer({ groupId: uniqueName('outbox_reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const received: Received[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = JSON.parse(String(message.value));
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      received.push({ aggregateId: String(message.key), version: event.version, eventId: event.eventId, headers });
    },
  });
  return { received, consumer };
}

function schemasFor(topic: string): EventSchemas {
  return { ...contractTestSchemas().schemas, topic: () => topic };
}

async function appendHistory(store: PostgresEventStore, aggregates: string[], eventsEach: number, perAppend: number): Promise<void> {
  await Promise.all(
    aggregates.map(async (aggregateId) => {
      for (let v = 0; v < eventsEach; v += perAppend) {
        await store.append({ aggregateId, aggregateType: 'Note', expectedVersion: v, events: Array.from({ length: perAppend }, (_, i) => noted(`${aggregateId}:${v + i + 1}`)) });
      }
    }),
  );
}

function expectInVersionOrder(received: Received[], aggregates: string[], eventsEach: number): void {
  for (const id of aggregates) {
    expect(received.filter((r) => r.aggregateId === id).map((r) => r.version)).toEqual(Array.from({ length: eventsEach }, (_, i) => i + 1));
  }
  expect(new Set(received.map((r) => r.eventId)).size).toBe(received.length);
}

describe('OutboxRelay (real PostgreSQL and Kafka)', () => {
  const settings = testSettings();
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase('outbox', 30);
    await migrateEventStore(db.pool, { schema: db.schema, partitions: 4 });
  });
  afterEach(() => db.dispose());

  async function createTopic(kafka: Kafka): Promise<string> {
    const topic = uniqueName('outbox_test');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
    await admin.disconnect();
    return topic;
  }

  async function deleteTopic(kafka: Kafka, topic: string): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }

  /** A topic of the test's own, a store whose events go to it, and a relay of the test's schema (not started). */
  async function relayOnNewTopic(pollIntervalMs: number) {
    const kafka = new Kafka({ clientId: 'outbox-test', brokers: settings.kafka.brokers, logLevel: logLevel.ERROR });
    const topic = await createTopic(kafka);
    const store = new PostgresEventStore(db.pool, { schema: db.schema, schemas: schemasFor(topic) });
    const relay = new OutboxRelay({ connectionString: settings.event_store.database_url }, kafka, { schema: db.schema, batchSize: 100, pollIntervalMs });
    return { kafka, topic, store, relay };
  }

  const everyRowMarked = () =>
    waitFor('every outbox row marked published', async () => {
      const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM ${db.schema}.outbox WHERE published_at IS NULL`);
      return rows[0].n === 0;
    });

  it('publishes 1,000 events of 50 aggregates, each aggregate in version order, with key and headers', async () => {
    const { kafka, topic, store, relay } = await relayOnNewTopic(1_000);
    const { received, consumer } = await collect(kafka, topic);
    try {
      relay.start();
      const aggregates = Array.from({ length: 50 }, () => randomUUID());
      await appendHistory(store, aggregates, 20, 4);
      await waitFor('1,000 events on Kafka', () => received.length >= 1_000, { timeoutMs: 30_000 });
      expect(received).toHaveLength(1_000);
      expectInVersionOrder(received, aggregates, 20);
      expect(received[0].headers).toMatchObject({ 'event-type': 'Noted', 'schema-version': '1', 'content-type': 'application/json', source: 'contract-test' });
      expect(received[0].headers['correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
      await everyRowMarked();
    } finally {
      await relay.stop();
      await consumer.disconnect();
      await deleteTopic(kafka, topic);
    }
  });

  it('publishes an append in quiet time with two statements: the read, then the mark that reads on', async () => {
    // No poll during the test: only the appends' announcements wake the relay.
    const { kafka, topic, store, relay } = await relayOnNewTopic(600_000);
    const relayStatements = jest.spyOn(Client.prototype, 'query');
    const published = (aggregateId: string) => async () =>
      (await db.pool.query(`SELECT 1 FROM ${db.schema}.outbox WHERE aggregate_id = $1 AND published_at IS NOT NULL`, [aggregateId])).rowCount === 1;
    const append = async () => {
      const aggregateId = randomUUID();
      await store.append({ aggregateId, aggregateType: 'Note', expectedVersion: 0, events: [noted('quiet')] });
      await waitFor('the event published and marked', published(aggregateId), { timeoutMs: 10_000 });
    };
    try {
      relay.start();
      await waitFor('the relay active', () => relay.isActive, { timeoutMs: 10_000 });
      await append(); // the relay is idle after this one
      relayStatements.mockClear();
      await append();
      const outboxStatements = relayStatements.mock.calls.filter(([config]) => typeof config === 'object' && String((config as { name?: string }).name).startsWith('causeway_outbox'));
      expect(outboxStatements).toHaveLength(2);
    } finally {
      relayStatements.mockRestore();
      await relay.stop();
      await deleteTopic(kafka, topic);
    }
  });

  it("is woken by its own process's appends by a call while active: no NOTIFY is sent", async () => {
    const { kafka, topic, store, relay } = await relayOnNewTopic(600_000);
    const stopWaking = store.wakeOnAppend(relay);
    const poolStatements = jest.spyOn(db.pool, 'query');
    try {
      relay.start();
      await waitFor('the relay active', () => relay.isActive, { timeoutMs: 10_000 });
      expect(relay.servesAllReplicas()).toBe(true);
      await store.append({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [noted('here')] });
      // No poll during the test and no NOTIFY: only the call can wake the relay.
      await everyRowMarked();
      expect(poolStatements.mock.calls.filter(([statement]) => String(statement).includes('pg_notify'))).toHaveLength(0);
    } finally {
      stopWaking();
      await relay.stop();
      await deleteTopic(kafka, topic);
    }
  });

  it('publishes a backlog of a full batch and a short one exactly once', async () => {
    const { kafka, topic, store, relay } = await relayOnNewTopic(600_000);
    // Appended before the relay starts: no announcement is pending when it reads the short batch.
    await appendHistory(store, Array.from({ length: 30 }, () => randomUUID()), 5, 5);
    const admin = kafka.admin();
    await admin.connect();
    try {
      relay.start();
      await everyRowMarked();
      const published = (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
      expect(published).toBe(150);
    } finally {
      await admin.disconnect();
      await relay.stop();
      await deleteTopic(kafka, topic);
    }
  });

  it('keeps accepting appends while Kafka is down, then publishes every event exactly once after it returns', async () => {
    const broker = await ScratchKafkaBroker.create();
    await broker.start();
    const kafka = new Kafka({ clientId: 'outbox-fault-test', brokers: broker.brokers, logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } });
    const topic = await createTopic(kafka);
    const store = new PostgresEventStore(db.pool, { schema: db.schema, schemas: schemasFor(topic) });
    const relay = new OutboxRelay({ connectionString: settings.event_store.database_url }, kafka, { schema: db.schema, batchSize: 100, pollIntervalMs: 200, standbyRetryMs: 200 });
    try {
      relay.start();
      const before = Array.from({ length: 10 }, () => randomUUID());
      await appendHistory(store, before, 10, 5);
      const published = async () => (await db.pool.query(`SELECT count(*)::int AS n FROM ${db.schema}.outbox WHERE published_at IS NOT NULL`)).rows[0].n;
      await waitFor('the first 100 events published', async () => (await published()) === 100, { timeoutMs: 30_000 });

      await broker.kill();
      const during = Array.from({ length: 20 }, () => randomUUID());
      await appendHistory(store, during, 10, 2); // appends succeed with Kafka gone
      expect(await published()).toBe(100);

      await broker.start();
      await waitFor('all 300 events published after Kafka returned', async () => (await published()) === 300, { timeoutMs: 60_000 });

      const { received, consumer } = await collect(kafka, topic);
      await waitFor('300 messages read back', () => received.length >= 300, { timeoutMs: 30_000 });
      // Give a duplicate, if there were one, the chance to arrive before counting.
      const offsets = await (async () => {
        const admin = kafka.admin();
        await admin.connect();
        const o = await admin.fetchTopicOffsets(topic);
        await admin.disconnect();
        return o.reduce((sum, p) => sum + Number(p.high), 0);
      })();
      await consumer.disconnect();
      expect(offsets).toBe(300);
      expect(received).toHaveLength(300);
      expectInVersionOrder(received, [...before, ...during], 10);
    } finally {
      await relay.stop();
      await broker.dispose();
    }
  });

  it('runs one active relay per schema; a standby takes over when the active one stops', async () => {
    const kafka = new Kafka({ clientId: 'outbox-standby-test', brokers: settings.kafka.brokers, logLevel: logLevel.ERROR });
    const topic = await createTopic(kafka);
    const store = new PostgresEventStore(db.pool, { schema: db.schema, schemas: schemasFor(topic) });
    const options = { schema: db.schema, batchSize: 100, pollIntervalMs: 200, standbyRetryMs: 200 };
    const first = new OutboxRelay({ connectionString: settings.event_store.database_url }, kafka, options);
    const second = new OutboxRelay({ connectionString: settings.event_store.database_url }, kafka, options);
    const { received, consumer } = await collect(kafka, topic);
    try {
      first.start();
      await waitFor('the first relay to become active', () => first.isActive);
      second.start();
      await new Promise((r) => setTimeout(r, 600)); // three standby attempts
      expect(second.isActive).toBe(false);
      // Only the active one publishes: a standby's process must still NOTIFY its appends.
      expect([first.servesAllReplicas(), second.servesAllReplicas()]).toEqual([true, false]);

      await first.stop();
      await waitFor('the standby to take over', () => second.isActive, { timeoutMs: 5_000 });
      const id = randomUUID();
      await appendHistory(store, [id], 3, 1);
      await waitFor('events published by the new active relay', () => received.length >= 3, { timeoutMs: 15_000 });
      expectInVersionOrder(received, [id], 3);
    } finally {
      await first.stop();
      await second.stop();
      await consumer.disconnect();
      await deleteTopic(kafka, topic);
    }
  });
});
