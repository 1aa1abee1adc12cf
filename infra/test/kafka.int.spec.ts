import { testSettings, uniqueName, waitFor } from '@causeway/testing';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';

// Smoke test of the real broker `npm test` starts (or KAFKA_BROKERS points at).
describe('Kafka (real broker)', () => {
  const settings = testSettings();
  const kafka = new Kafka({ clientId: 'infra-smoke', brokers: settings.kafka.brokers, logLevel: logLevel.ERROR });
  const topic = uniqueName('smoke');
  const groups = [uniqueName('smoke_a'), uniqueName('smoke_b')];
  const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
  const total = 1_000;
  let admin: Admin;
  let producer: Producer;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect()));
    await producer?.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.disconnect();
  });

  async function readAll(groupId: string): Promise<Array<{ key: string; seq: number; partition: number }>> {
    const consumer = kafka.consumer({ groupId });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: Array<{ key: string; seq: number; partition: number }> = [];
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        seen.push({ key: String(message.key), seq: Number(String(message.value)), partition });
      },
    });
    await waitFor(`${total} messages in group ${groupId}`, () => seen.length >= total, { timeoutMs: 45_000 });
    await consumer.stop();
    return seen;
  }

  function expectOrderedPerKey(seen: Array<{ key: string; seq: number; partition: number }>): void {
    expect(seen).toHaveLength(total);
    for (const key of keys) {
      const mine = seen.filter((m) => m.key === key);
      expect(mine.map((m) => m.seq)).toEqual([...mine.map((m) => m.seq)].sort((a, b) => a - b));
      expect(mine).toHaveLength(total / keys.length);
      // One key, one partition: that is what keeps an aggregate's events in order.
      expect(new Set(mine.map((m) => m.partition)).size).toBe(1);
    }
  }

  it('keeps per-key order for 1,000 keyed messages over 3 partitions, and a second group reads them all again', async () => {
    const messages = Array.from({ length: total }, (_, seq) => ({ key: keys[seq % keys.length], value: String(seq) }));
    for (let i = 0; i < total; i += 100) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 100) });

    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets).toHaveLength(3);
    expect(offsets.filter((o) => Number(o.high) > 0).length).toBeGreaterThan(1);

    expectOrderedPerKey(await readAll(groups[0]));
    expectOrderedPerKey(await readAll(groups[1]));
  });
});
