import type { CatalogEvent } from '@causeway/contracts';
import { createTestDatabase, testSettings, uniqueName, waitFor, type TestDatabase } from '@causeway/testing';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import type { INestMicroservice } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { migrateMessaging } from '../consumer/inbox.migrations';
import { toKafkaMessage } from '../kafka-message';
import { KafkaEventContext } from './kafka-event.context';
import { KafkaEventTransport } from './kafka-event.transport';

const seen: Array<{ email: string; topic: string }> = [];
let schema = '';

@Controller()
class UserEventsConsumer {
  @EventPattern('UserCreated')
  async noteUserCreated(@Payload() event: CatalogEvent<'UserCreated'>, @Ctx() context: KafkaEventContext): Promise<void> {
    await context.transaction.query(`INSERT INTO ${schema}.effects (event_id) VALUES ($1)`, [event.eventId]);
    seen.push({ email: event.data.email, topic: context.topic });
  }
}

describe('KafkaEventTransport (@EventPattern handlers on real Kafka and PostgreSQL)', () => {
  const settings = testSettings();
  const kafka = new Kafka({ clientId: 'transport-test', brokers: settings.kafka.brokers, logLevel: logLevel.NOTHING });
  const topic = uniqueName('transport_test');
  let db: TestDatabase;
  let app: INestMicroservice;

  beforeAll(async () => {
    db = await createTestDatabase('transport');
    schema = db.schema;
    await migrateMessaging(db.pool, db.schema);
    await db.pool.query(`CREATE TABLE ${db.schema}.effects (event_id uuid NOT NULL)`);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }, { topic: `${topic}.dlq`, numPartitions: 3 }] });
    await admin.disconnect();

    const module = await Test.createTestingModule({ controllers: [UserEventsConsumer] }).compile();
    app = module.createNestMicroservice({
      strategy: new KafkaEventTransport(kafka, db.pool, {
        groupId: uniqueName('transport_group'), schema: db.schema, workerThreads: 2, batchSize: 10,
        processingTimeoutMs: 5_000, maxAttempts: 2, retryBackoffMs: 10, topicOf: () => topic,
      }),
      logger: false,
    });
    await app.listen();
  });

  afterAll(async () => {
    await app?.close();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined);
    await admin.disconnect();
    await db.dispose();
  });

  const userCreated = (userId: string, email: string) => ({
    eventId: randomUUID(), eventType: 'UserCreated', aggregateType: 'User', aggregateId: userId, version: 1,
    timestamp: new Date().toISOString(), schemaVersion: 2,
    data: { userId, email, givenName: 'Grace', familyName: 'Hopper' },
    metadata: { correlationId: randomUUID(), causationId: randomUUID(), source: 'test' },
  });

  it('routes an event to its @EventPattern handler once, inside the inbox transaction', async () => {
    const userId = randomUUID();
    const event = userCreated(userId, 'grace@example.com');
    const marker = { ...toKafkaMessage(userCreated(randomUUID(), 'marker@example.com')), key: userId };
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [toKafkaMessage(event), toKafkaMessage(event), marker] });
    await producer.disconnect();

    await waitFor('the marker behind both copies to be handled', () => seen.some((s) => s.email === 'marker@example.com'), { timeoutMs: 20_000 });
    expect(seen.filter((s) => s.email === 'grace@example.com')).toEqual([{ email: 'grace@example.com', topic }]);
    const effects = await db.pool.query(`SELECT count(*)::int AS n FROM ${db.schema}.effects WHERE event_id = $1`, [event.eventId]);
    expect(effects.rows[0].n).toBe(1);
  });
});
