import { sqlIdentifier, WakeSignal, type StoredEvent } from '@causeway/eventsourcing';
import { Partitioners, type Kafka, type Producer, type TopicMessages } from 'kafkajs';
import { Client, type ClientConfig } from 'pg';
import { toKafkaMessage } from '../kafka-message';

export interface OutboxRelayOptions {
  /** The service's schema: its events and outbox tables. */
  schema: string;
  /** Rows per Kafka batch (settings: outbox.batch_size). */
  batchSize: number;
  /** Fallback poll when no NOTIFY arrives (settings: outbox.poll_interval). */
  pollIntervalMs: number;
  /** How long a standby replica waits between attempts to become the active relay. */
  standbyRetryMs?: number;
  onError?: (error: unknown) => void;
  onPublished?: (count: number, oldestCreatedAt: Date) => void;
}

interface OutboxRow {
  id: string;
  topic: string;
  created_at: Date;
  global_position: string;
  aggregate_id: string;
  version: number;
  event_id: string;
  event_type: string;
  aggregate_type: string;
  schema_version: number;
  data: Record<string, unknown>;
  metadata: StoredEvent['metadata'];
  occurred_at: Date;
}

/**
 * Publishes outbox rows to Kafka. One relay per service is active: it holds a session-level
 * advisory lock on its own connection; other replicas stand by and take over when that
 * connection ends. It is woken by NOTIFY at commit, with a polling fallback.
 *
 * Guarantees: every committed event is published (rows are marked only after Kafka acks, with
 * acks=all and an idempotent producer), one aggregate's events in version order (rows are read
 * in id order and sent in that order over one in-flight request). A row whose ack was lost
 * when the relay died is sent again on restart: delivery is at-least-once, and consumers
 * deduplicate by eventId (the inbox).
 */
export class OutboxRelay {
  private readonly s: string;
  private readonly lockKey: string;
  private client: Client | undefined;
  private producer: Producer | undefined;
  private running = false;
  private active = false;
  private readonly wakeUp = new WakeSignal();
  private lastPurge = 0;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly connection: ClientConfig,
    private readonly kafka: Kafka,
    private readonly options: OutboxRelayOptions,
  ) {
    this.s = sqlIdentifier(options.schema);
    this.lockKey = `causeway:outbox:${this.s}`;
  }

  /** True while this replica holds the lock and publishes. */
  get isActive(): boolean {
    return this.active;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp.notify();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.session();
      } catch (error) {
        this.options.onError?.(error);
      } finally {
        this.active = false;
        await this.closeSession();
      }
      if (this.running) await this.wakeUp.wait(this.options.standbyRetryMs ?? 1_000);
    }
  }

  /** One database session: try to become active; if so, publish until stopped or the session fails. */
  private async session(): Promise<void> {
    const client = new Client(this.connection);
    this.client = client;
    client.on('error', (error) => {
      this.options.onError?.(error);
      this.wakeUp.notify();
    });
    await client.connect();
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [this.lockKey]);
    if (!rows[0].locked) return; // another replica is active; stand by
    this.active = true;
    client.on('notification', () => this.wakeUp.notify());
    await client.query(`LISTEN ${this.s}_outbox`);
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await this.producer.connect();

    while (this.running) {
      const published = await this.publishBatch(client, this.producer);
      if (published < this.options.batchSize) await this.wakeUp.wait(this.options.pollIntervalMs);
      await this.purgePublished(client);
    }
  }

  private async publishBatch(client: Client, producer: Producer): Promise<number> {
    const { rows } = await client.query<OutboxRow>(
      `SELECT o.id, o.topic, o.created_at, e.global_position, e.aggregate_id, e.version, e.event_id, e.event_type,
              e.aggregate_type, e.schema_version, e.data, e.metadata, e.occurred_at
       FROM ${this.s}.outbox o
       JOIN ${this.s}.events e ON e.aggregate_id = o.aggregate_id AND e.version = o.version
       WHERE o.published_at IS NULL
       ORDER BY o.id
       LIMIT $1`,
      [this.options.batchSize],
    );
    if (rows.length === 0) return 0;

    // kafkajs has no linger: the batch is the unit, one request, messages in row order per topic.
    const byTopic = new Map<string, TopicMessages>();
    for (const row of rows) {
      const messages = byTopic.get(row.topic) ?? { topic: row.topic, messages: [] };
      messages.messages.push(
        toKafkaMessage({
          eventId: row.event_id,
          eventType: row.event_type,
          aggregateType: row.aggregate_type,
          aggregateId: row.aggregate_id,
          version: row.version,
          timestamp: row.occurred_at.toISOString(),
          schemaVersion: row.schema_version,
          data: row.data,
          metadata: row.metadata,
        }),
      );
      byTopic.set(row.topic, messages);
    }
    await producer.sendBatch({ acks: -1, topicMessages: [...byTopic.values()] });
    await client.query(`UPDATE ${this.s}.outbox SET published_at = now() WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
    this.options.onPublished?.(rows.length, rows[0].created_at);
    return rows.length;
  }

  /** Published rows are kept for an hour for inspection, then removed so the table stays small. */
  private async purgePublished(client: Client): Promise<void> {
    if (Date.now() - this.lastPurge < 60_000) return;
    this.lastPurge = Date.now();
    await client.query(`DELETE FROM ${this.s}.outbox WHERE published_at < now() - interval '1 hour'`);
  }

  private async closeSession(): Promise<void> {
    const producer = this.producer;
    const client = this.client;
    this.producer = undefined;
    this.client = undefined;
    await producer?.disconnect().catch(() => undefined);
    // Ending the session releases the advisory lock: a standby replica takes over.
    await client?.end().catch(() => undefined);
  }
}

