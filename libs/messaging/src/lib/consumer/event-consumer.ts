import { deadLetterTopic, parseEventEnvelope, type CatalogEvent } from '@causeway/contracts';
import { begin, commit, rollback, sqlIdentifier } from '@causeway/eventsourcing';
import { Partitioners, type Consumer, type EachBatchPayload, type Kafka, type KafkaMessage, type Producer } from 'kafkajs';
import type { Pool, PoolClient } from 'pg';
import { headerValue } from '../kafka-message';
import { consumeSpan } from '../tracing';

export interface HandlerContext {
  /** The transaction that records this event in the inbox: make the state change in it. */
  transaction: PoolClient;
  topic: string;
  partition: number;
  offset: string;
  /** 1 on first delivery to the handler, then 2, 3, … on retries. */
  attempt: number;
}

export type EventHandlerFn = (event: CatalogEvent, context: HandlerContext) => Promise<void>;

export interface EventConsumerOptions {
  /** Consumer group, also the inbox's key (ARCHITECTURE §4: one per service). */
  groupId: string;
  topics: readonly string[];
  /** The service's schema, holding its inbox table. */
  schema: string;
  /** Partitions processed in parallel (settings: processing.worker_threads). */
  workerThreads: number;
  /** Commit offsets at least every this many messages (settings: processing.batch_size)… */
  batchSize: number;
  /** …and at least this often (default 1 s). Committing is off the processing path either way. */
  commitIntervalMs?: number;
  /**
   * Longest the broker holds a fetch that found nothing (default 100 ms). kafkajs' default of 5 s
   * was measured to add ~11 ms at p50 between the relay's ack and the handler (bench/results-outbox.md).
   */
  fetchMaxWaitMs?: number;
  /** A handler taking longer fails this attempt (settings: processing.processing_timeout). */
  processingTimeoutMs: number;
  /** Attempts before the message goes to `<topic>.dlq` (settings: processing.max_retries). */
  maxAttempts: number;
  /** First retry delay; doubles per attempt (settings: processing.retry_backoff). */
  retryBackoffMs: number;
  fromBeginning?: boolean;
  /** How long the group waits for a silent member before reassigning its partitions (kafkajs default 30 s). */
  sessionTimeoutMs?: number;
  onDeadLettered?: (info: DeadLetterInfo) => void;
  onHandled?: (event: CatalogEvent, durationMs: number) => void;
  /** Runs each handler call, e.g. inside the event's correlation context so its log lines carry it. */
  around?: <T>(event: CatalogEvent, work: () => Promise<T>) => Promise<T>;
  onError?: (error: unknown) => void;
}

export interface DeadLetterInfo {
  topic: string;
  partition: number;
  offset: string;
  eventId?: string;
  error: string;
  attempts: number;
}

export const DeadLetterHeaders = {
  error: 'dlq-error',
  errorType: 'dlq-error-type',
  attempts: 'dlq-attempts',
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  consumerGroup: 'dlq-consumer-group',
  failedAt: 'dlq-failed-at',
} as const;

class HandlerTimeoutError extends Error {}

/**
 * Consumes integration events with an exactly-once *effect* on top of Kafka's at-least-once
 * delivery:
 * - each partition is processed in order, several partitions in parallel;
 * - each event is handled in a PostgreSQL transaction that also inserts its inbox row, so a
 *   redelivered event (after a crash, a rebalance, a relay resend) is recognised and skipped;
 * - an offset is resolved only after that transaction commits, so a crash loses nothing, and
 *   committed to Kafka from a timer (or every batchSize messages), never in the processing loop:
 *   a commit lost to a crash or a rebalance means redelivery, which the inbox absorbs;
 * - a failing handler is retried with exponential backoff, then the message is copied to
 *   `<topic>.dlq` with the error in its headers, and the partition moves on.
 * A message that cannot be decoded (bad JSON, unknown type, invalid payload) goes to the DLQ at
 * once: retrying cannot fix it.
 */
export class EventConsumer {
  private readonly s: string;
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  /** Per partition, the next offset to consume, for offsets processed but not committed yet. */
  private readonly progress = new Map<string, { topic: string; partition: number; offset: string }>();
  private processedSinceCommit = 0;
  private committing: Promise<void> | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly batches = new Set<Promise<void>>();

  constructor(
    private readonly kafka: Kafka,
    private readonly pool: Pool,
    private readonly options: EventConsumerOptions,
    private readonly handlers: ReadonlyMap<string, EventHandlerFn>,
  ) {
    this.s = sqlIdentifier(options.schema);
  }

  async start(): Promise<void> {
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await this.producer.connect();
    this.consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: this.options.fetchMaxWaitMs ?? 100,
      ...(this.options.sessionTimeoutMs ? { sessionTimeout: this.options.sessionTimeoutMs, heartbeatInterval: Math.floor(this.options.sessionTimeoutMs / 5) } : {}),
    });
    await this.consumer.connect();
    // Hand over what is done before the group moves partitions, so less is redelivered.
    this.consumer.on(this.consumer.events.REBALANCING, () => void this.commitProgress());
    await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: this.options.fromBeginning ?? true });
    this.commitTimer = setInterval(() => void this.commitProgress(), this.options.commitIntervalMs ?? 1_000);
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.workerThreads,
      eachBatch: (payload) => {
        const batch = this.processBatch(payload);
        this.batches.add(batch);
        return batch.finally(() => this.batches.delete(batch));
      },
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.commitTimer);
    // Finish the message under way in each partition, and commit, while still in the group.
    this.stopping = true;
    await Promise.allSettled(this.batches);
    await this.committing;
    await this.commitProgress();
    await this.consumer?.disconnect();
    this.stopping = false;
    await this.producer?.disconnect();
    this.consumer = undefined;
    this.producer = undefined;
  }

  private async processBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    for (const message of batch.messages) {
      if (this.stopping || !isRunning() || isStale()) return;
      await this.processMessage(batch.topic, batch.partition, message, heartbeat);
      // Only now is the effect durable (committed, or dead-lettered): the offset may move past it.
      resolveOffset(message.offset);
      this.progress.set(`${batch.topic}:${batch.partition}`, { topic: batch.topic, partition: batch.partition, offset: (BigInt(message.offset) + 1n).toString() });
      if (++this.processedSinceCommit >= this.options.batchSize) void this.commitProgress();
      await heartbeat();
    }
  }

  /** Commits the offsets processed so far; one commit at a time, later progress goes in the next. */
  private commitProgress(): Promise<void> {
    if (this.committing || this.progress.size === 0 || !this.consumer) return this.committing ?? Promise.resolve();
    const offsets = [...this.progress.values()];
    this.progress.clear();
    this.processedSinceCommit = 0;
    this.committing = this.consumer
      .commitOffsets(offsets)
      // A commit refused during a rebalance only means those events are delivered again.
      .catch((error: unknown) => this.options.onError?.(error))
      .finally(() => (this.committing = undefined));
    return this.committing;
  }

  private async processMessage(topic: string, partition: number, message: KafkaMessage, heartbeat: () => Promise<void>): Promise<void> {
    let event: CatalogEvent;
    try {
      event = parseEventEnvelope(JSON.parse(message.value?.toString() ?? ''));
    } catch (error) {
      await this.deadLetter(topic, partition, message, error, 1);
      return;
    }
    const handler = this.handlers.get(event.eventType);
    if (!handler) return; // a type this service does not react to

    let lastError: unknown;
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt++) {
      try {
        const started = performance.now();
        await consumeSpan(event.eventType, event.metadata.traceparent, { 'messaging.destination.name': topic, 'messaging.consumer.group.name': this.options.groupId, 'messaging.message.id': event.eventId }, () =>
          this.handleOnce(handler, event, { topic, partition, offset: message.offset, attempt }),
        );
        this.options.onHandled?.(event, performance.now() - started);
        return;
      } catch (error) {
        lastError = error;
        this.options.onError?.(error);
        if (attempt < this.options.maxAttempts) await this.backoff(attempt, heartbeat);
      }
    }
    await this.deadLetter(topic, partition, message, lastError, this.options.maxAttempts, event.eventId);
  }

  private async handleOnce(handler: EventHandlerFn, event: CatalogEvent, where: Omit<HandlerContext, 'transaction'>): Promise<void> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await begin(client);
      // A handler stuck in the database is cut off at the processing timeout too.
      await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(this.options.processingTimeoutMs))}`);
      const inserted = await client.query(
        `INSERT INTO ${this.s}.inbox (consumer_group, event_id, event_type, topic, partition, "offset")
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
        [this.options.groupId, event.eventId, event.eventType, where.topic, where.partition, where.offset],
      );
      if (inserted.rowCount === 0) {
        await rollback(client); // handled before: exactly one effect
        return;
      }
      const call = () => handler(event, { ...where, transaction: client });
      await withTimeout(this.options.around ? this.options.around(event, call) : call(), this.options.processingTimeoutMs);
      await commit(client);
    } catch (error) {
      if (error instanceof HandlerTimeoutError) {
        // The handler may still be using this connection: destroy it rather than reuse it.
        broken = error;
      } else {
        await rollback(client).catch((rollbackError: Error) => (broken = rollbackError));
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private async backoff(attempt: number, heartbeat: () => Promise<void>): Promise<void> {
    const delay = Math.min(this.options.retryBackoffMs * 2 ** (attempt - 1), 30_000);
    const until = Date.now() + delay;
    // Keep heartbeating so a long backoff is not mistaken for a dead consumer.
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, Math.min(1_000, until - Date.now())));
      await heartbeat();
    }
  }

  private async deadLetter(topic: string, partition: number, message: KafkaMessage, error: unknown, attempts: number, eventId?: string): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    const failedAt = new Date().toISOString();
    if (!this.producer) throw new Error('consumer is not started');
    // If this send fails, the offset is not resolved: the message is redelivered, never dropped.
    await this.producer.send({
      topic: deadLetterTopic(topic),
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            [DeadLetterHeaders.error]: reason.slice(0, 4_000),
            [DeadLetterHeaders.errorType]: error instanceof Error ? error.constructor.name : typeof error,
            [DeadLetterHeaders.attempts]: String(attempts),
            [DeadLetterHeaders.originalTopic]: topic,
            [DeadLetterHeaders.originalPartition]: String(partition),
            [DeadLetterHeaders.originalOffset]: message.offset,
            [DeadLetterHeaders.consumerGroup]: this.options.groupId,
            [DeadLetterHeaders.failedAt]: failedAt,
          },
        },
      ],
    });
    this.options.onDeadLettered?.({ topic, partition, offset: message.offset, eventId: eventId ?? headerValue(message.headers, 'event-id'), error: reason, attempts });
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HandlerTimeoutError(`handler did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
