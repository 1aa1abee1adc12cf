import { kafkaConnection, type KafkaConnectionSettings } from '@causeway/messaging';
import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { Output } from '../output';

export interface TailOptions {
  kafka: KafkaConnectionSettings;
  topics: string[];
  fromBeginning: boolean;
  json: boolean;
  /** Resolves when the tail should stop (Ctrl-C in main.ts). */
  until: Promise<void>;
}

/**
 * `causeway tail <topic>…`: every message as it arrives, a line each (or the envelope as JSON).
 * It reads in a consumer group of its own that commits no offsets: it takes nothing from the
 * services' groups, and Kafka forgets the group once the tail ends.
 */
export async function tailTopics(options: TailOptions, output: Output): Promise<number> {
  const kafka = new Kafka({ clientId: 'causeway-cli', ...kafkaConnection(options.kafka), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `causeway-cli-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const value = message.value?.toString() ?? '';
        output.out(options.json ? value : describe(topic, partition, message.offset, value));
      },
    });
    await joined;
    output.err(`tailing ${options.topics.join(', ')} ${options.fromBeginning ? 'from the beginning' : 'from now on'}; Ctrl-C to stop`);
    await options.until;
    return 0;
  } finally {
    await consumer.disconnect();
  }
}

function describe(topic: string, partition: number, offset: string, value: string): string {
  const where = `${topic}[${partition}]@${offset}`;
  try {
    const e = JSON.parse(value) as { eventType: string; aggregateType: string; aggregateId: string; version: number; timestamp: string; metadata?: { correlationId?: string } };
    return `${where}  ${e.timestamp}  ${e.eventType}  ${e.aggregateType}/${e.aggregateId} v${e.version}  correlation ${e.metadata?.correlationId ?? '-'}`;
  } catch {
    return `${where}  (not an event envelope) ${value}`;
  }
}
