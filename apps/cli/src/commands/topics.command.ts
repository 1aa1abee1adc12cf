import { ALL_TOPICS, deadLetterTopic } from '@causeway/contracts';
import { kafkaConnection, type KafkaConnectionSettings } from '@causeway/messaging';
import { Kafka, logLevel } from 'kafkajs';
import type { Output } from '../output';

export interface TopicsOptions {
  kafka: KafkaConnectionSettings;
  /** Settings' kafka.topic_prefix: a stack of topics of its own. */
  prefix: string;
  partitions: number;
  replicationFactor: number;
  retentionMs: number;
}

/**
 * `causeway topics create`: the topics of ARCHITECTURE §4 and their `.dlq` twins on the Kafka the
 * settings point at (a managed one too: TLS and SASL as the apps use them). The apps never create
 * topics (auto-creation is off on purpose), so a new cluster needs this once. Topics that exist
 * are left as they are and named: partitions can grow but never shrink, and that is a decision for
 * an operator, not for a tool run again.
 */
export async function createTopics(options: TopicsOptions, output: Output): Promise<number> {
  const admin = new Kafka({ clientId: 'causeway-cli', ...kafkaConnection(options.kafka), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const names = ALL_TOPICS.flatMap((topic) => [topic, deadLetterTopic(topic)]).map((topic) => `${options.prefix}${topic}`);
    const existing = new Set(await admin.listTopics());
    const missing = names.filter((name) => !existing.has(name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: options.partitions,
          replicationFactor: options.replicationFactor,
          configEntries: [{ name: 'retention.ms', value: String(options.retentionMs) }],
        })),
      });
    }
    for (const name of names) {
      output.out(missing.includes(name) ? `created ${name} (${options.partitions} partitions, replication ${options.replicationFactor})` : `exists  ${name} (left as it is)`);
    }
    return 0;
  } finally {
    await admin.disconnect();
  }
}
