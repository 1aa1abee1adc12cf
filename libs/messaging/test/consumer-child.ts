// A consumer in a process of its own, so a test can SIGKILL it mid-batch (a real crash: no
// shutdown hooks, no final offset commit, an open transaction cut off).
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { EventConsumer } from '../src/lib/consumer/event-consumer';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: env('DATABASE_URL'), max: 4 });
  const kafka = new Kafka({ clientId: 'consumer-child', brokers: env('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
  const schema = env('SCHEMA');
  const consumer = new EventConsumer(
    kafka,
    pool,
    { groupId: env('GROUP'), topics: [env('TOPIC')], schema, workerThreads: 3, batchSize: 50, processingTimeoutMs: 5_000, maxAttempts: 3, retryBackoffMs: 10, sessionTimeoutMs: 6_000 },
    new Map([
      [
        'UserCreated',
        async (event, { transaction }) => {
          await transaction.query(`INSERT INTO ${schema}.effects (event_id) VALUES ($1)`, [event.eventId]);
          await new Promise((r) => setTimeout(r, 10)); // slow enough for the kill to land mid-batch
        },
      ],
    ]),
  );
  await consumer.start();
  process.stdout.write('started\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
