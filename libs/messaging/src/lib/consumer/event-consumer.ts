import { deadLetterTopic, parseEventEnvelope, type CatalogEvent } from '@causeway/contracts';
import { begin, commit, isDatabaseUnavailable, preparedStatement, rollback, sqlIdentifier, whileHolding, type PreparedStatement } from '@causeway/eventsourcing';
import { Partitioners, type Consumer, type EachBatchPayload, type Kafka, type KafkaMessage, type Producer } from 'kafkajs';
import type { Pool, PoolClient } from 'pg';
import { Headers, headerValue } from '../kafka-message';
import { consumeSpan } from '../tracing';

/**
 * At most this many messages share a transaction, whatever batchSize says. Handlers open
 * savepoints (a multi-event append, a snapshot, a delivery attempt), and PostgreSQL keeps only 64
 * subtransaction ids per transaction in shared memory: past that the transaction is
 * "suboverflowed", and while it runs every snapshot on the server that sees it must look
 * subtransactions up in pg_subtrans, which slows every backend (GitLab's 2021 incident). Twenty
 * messages with up to three savepoints each stay under it, and share one commit twenty ways.
 */
export const MAX_SHARED_TRANSACTION = 20;

const INBOX_PRUNE_INTERVAL_MS = 10 * 60_000;
const INBOX_PRUNE_CHUNK = 5_000;
/** The longest wait between two tries while the database is unavailable. */
const MAX_OUTAGE_BACKOFF_MS = 5_000;

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
  /**
   * Up to this many messages of one partition (and MAX_SHARED_TRANSACTION) share a transaction
   * (see processGroup), and offsets are committed at least every this many messages…
   * (settings: processing.batch_size)
   */
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
  /**
   * The group's inbox rows older than this are deleted, every ten minutes while it runs
   * (settings: processing.inbox_retention, longer than Kafka keeps a message). Absent: kept.
   */
  inboxRetentionMs?: number;
  fromBeginning?: boolean;
  /** How long the group waits for a silent member before reassigning its partitions (kafkajs default 30 s). */
  sessionTimeoutMs?: number;
  onDeadLettered?: (info: DeadLetterInfo) => void;
  onHandled?: (event: CatalogEvent, durationMs: number) => void;
  /** Runs each handler call, e.g. inside the event's correlation context so its log lines carry it. */
  around?: <T>(event: CatalogEvent, work: () => Promise<T>) => Promise<T>;
  onError?: (error: unknown) => void;
  /**
   * kafkajs restarts its consumer after an error it deems retriable and stops it for good after
   * any other (the coordinator refusing the group, a dead letter larger than its topic accepts…).
   * This consumer then starts a new one, after a delay doubling from 1 s to 30 s, until one runs:
   * each such crash is reported here, with the delay, and `onRecovered` once a new one runs.
   */
  onCrashed?: (error: unknown, restartInMs: number) => void;
  onRecovered?: () => void;
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

const RESTART_BACKOFF_MS = 1_000;
const MAX_RESTART_BACKOFF_MS = 30_000;

/** A message of a fetched batch, decoded (or not) and matched to this service's handler (if any). */
interface Delivery {
  topic: string;
  partition: number;
  message: KafkaMessage;
  event?: CatalogEvent;
  handler?: EventHandlerFn;
  undecodable?: unknown;
}

/** A delivery decoded into an event this service handles. */
type HandledDelivery = Delivery & Required<Pick<Delivery, 'event' | 'handler'>>;

/** Messages are keyed by aggregate id (the relay's key); the event says it too when the key is missing. */
function keyOf(delivery: Delivery): string {
  return delivery.message.key?.toString() ?? delivery.event?.aggregateId ?? '';
}

/**
 * Consumes integration events with an exactly-once *effect* on top of Kafka's at-least-once
 * delivery:
 * - each partition is processed in order, several partitions in parallel;
 * - each event is handled in a PostgreSQL transaction that also inserts its inbox row, so a
 *   redelivered event (after a crash, a rebalance, a relay resend) is recognised and skipped;
 *   consecutive events of a partition for different aggregates share one such transaction;
 * - an offset is resolved only after that transaction commits, so a crash loses nothing, and
 *   committed to Kafka from a timer (or every batchSize messages), never in the processing loop:
 *   a commit lost to a crash or a rebalance means redelivery, which the inbox absorbs;
 * - a failing handler is retried with exponential backoff, then the message is copied to
 *   `<topic>.dlq` with the error in its headers, and the partition moves on;
 * - while the database is unavailable, tries do not count: the partition waits for it (backing
 *   off, heartbeating), so an outage parks nothing on the DLQ.
 * A message that cannot be decoded (bad JSON, unknown type, invalid payload) goes to the DLQ at
 * once: retrying cannot fix it.
 */
export class EventConsumer {
  private readonly s: string;
  private readonly inboxInsert: PreparedStatement;
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  /** Per partition, the next offset to consume, for offsets processed but not committed yet. */
  private readonly progress = new Map<string, { topic: string; partition: number; offset: string }>();
  private processedSinceCommit = 0;
  private committing: Promise<void> | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private pruning: Promise<unknown> | undefined;
  private stopping = false;
  private readonly batches = new Set<Promise<void>>();
  /** Restarts after crashes kafkajs does not restart from; reset by a run that lasts. */
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private runningSince = 0;
  private closed = true;

  constructor(
    private readonly kafka: Kafka,
    private readonly pool: Pool,
    private readonly options: EventConsumerOptions,
    private readonly handlers: ReadonlyMap<string, EventHandlerFn>,
  ) {
    this.s = sqlIdentifier(options.schema);
    // A group's rows in one statement; those it returns were not handled before.
    this.inboxInsert = preparedStatement(
      'inbox',
      `INSERT INTO ${this.s}.inbox (consumer_group, event_id, event_type, topic, partition, "offset")
       SELECT $1, d.event_id, d.event_type, d.topic, d.partition, d.offset
       FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[], $6::bigint[]) AS d(event_id, event_type, topic, partition, "offset")
       ON CONFLICT DO NOTHING
       RETURNING event_id`,
    );
  }

  async start(): Promise<void> {
    this.closed = false;
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await this.producer.connect();
    this.commitTimer = setInterval(() => void this.commitProgress(), this.options.commitIntervalMs ?? 1_000);
    if (this.options.inboxRetentionMs !== undefined) {
      this.pruneTimer = setInterval(() => {
        this.pruning ??= this.pruneInbox()
          .catch((error: unknown) => this.options.onError?.(error))
          .finally(() => (this.pruning = undefined));
      }, INBOX_PRUNE_INTERVAL_MS);
    }
    await this.run();
  }

  /** A kafkajs consumer of the group, subscribed and running. */
  private async run(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: this.options.fetchMaxWaitMs ?? 100,
      ...(this.options.sessionTimeoutMs ? { sessionTimeout: this.options.sessionTimeoutMs, heartbeatInterval: Math.floor(this.options.sessionTimeoutMs / 5) } : {}),
    });
    this.consumer = consumer;
    await consumer.connect();
    // Hand over what is done before the group moves partitions, so less is redelivered.
    consumer.on(consumer.events.REBALANCING, () => void this.commitProgress());
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart && consumer === this.consumer) this.restartAfter(payload.error);
    });
    await consumer.subscribe({ topics: [...this.options.topics], fromBeginning: this.options.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.workerThreads,
      eachBatch: (payload) => {
        const batch = this.processBatch(payload);
        this.batches.add(batch);
        return batch.finally(() => this.batches.delete(batch));
      },
    });
    this.runningSince = Date.now();
  }

  /**
   * After a crash kafkajs does not restart from (it has disconnected that consumer), a new
   * consumer of the group, later: what it had not committed is delivered to the new one (the
   * inbox absorbs what was handled). Until one runs, each failed start is a crash too.
   */
  private restartAfter(error: unknown): void {
    if (this.closed) return;
    // A run that lasted longer than the longest delay ends a series of crashes.
    if (this.runningSince > 0 && Date.now() - this.runningSince > MAX_RESTART_BACKOFF_MS) this.restarts = 0;
    this.runningSince = 0;
    const delay = Math.min(RESTART_BACKOFF_MS * 2 ** this.restarts++, MAX_RESTART_BACKOFF_MS);
    this.options.onCrashed?.(error, delay);
    this.restartTimer = setTimeout(() => {
      if (this.closed) return;
      this.run().then(
        () => this.options.onRecovered?.(),
        (failed: unknown) => {
          void this.consumer?.disconnect().catch(() => undefined);
          this.restartAfter(failed);
        },
      );
    }, delay);
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.commitTimer);
    clearInterval(this.pruneTimer);
    // Finish the message under way in each partition, and commit, while still in the group.
    this.stopping = true;
    await Promise.allSettled([...this.batches, this.pruning]);
    await this.committing;
    await this.commitProgress();
    await this.consumer?.disconnect();
    this.stopping = false;
    await this.producer?.disconnect();
    this.consumer = undefined;
    this.producer = undefined;
  }

  /**
   * Deletes this group's inbox rows older than inboxRetentionMs, a few thousand per statement so
   * no transaction grows long or locks much. Returns how many went.
   */
  async pruneInbox(): Promise<number> {
    if (this.options.inboxRetentionMs === undefined) return 0;
    let deleted = 0;
    for (;;) {
      const { rowCount } = await this.pool.query(
        `DELETE FROM ${this.s}.inbox WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM ${this.s}.inbox WHERE consumer_group = $1 AND processed_at < now() - make_interval(secs => $2::double precision / 1000) LIMIT $3))`,
        [this.options.groupId, this.options.inboxRetentionMs, INBOX_PRUNE_CHUNK],
      );
      deleted += rowCount ?? 0;
      if ((rowCount ?? 0) < INBOX_PRUNE_CHUNK || this.stopping) return deleted;
    }
  }

  private async processBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const deliveries = batch.messages.map((message) => this.decode(topic, partition, message));
    for (let i = 0; i < deliveries.length; ) {
      if (this.stopping || !isRunning() || isStale()) return;
      const group = this.nextGroup(deliveries, i);
      if (!(await this.processGroup(group, heartbeat))) return; // stopping mid-outage: redelivered later
      // Only now is the effect durable (committed, or dead-lettered): the offsets may move past it.
      const last = group[group.length - 1].message.offset;
      for (const delivery of group) resolveOffset(delivery.message.offset);
      this.progress.set(`${topic}:${partition}`, { topic, partition, offset: (BigInt(last) + 1n).toString() });
      this.processedSinceCommit += group.length;
      if (this.processedSinceCommit >= this.options.batchSize) void this.commitProgress();
      await heartbeat();
      i += group.length;
    }
  }

  private decode(topic: string, partition: number, message: KafkaMessage): Delivery {
    // Most of a topic's events are of types this service ignores: the header says so without
    // parsing and validating the body (a body that is broken is dead-lettered by its consumers).
    const type = headerValue(message.headers, Headers.eventType);
    if (type !== undefined && !this.handlers.has(type)) return { topic, partition, message };
    try {
      const event = parseEventEnvelope(JSON.parse(message.value?.toString() ?? ''));
      return { topic, partition, message, event, handler: this.handlers.get(event.eventType) };
    } catch (error) {
      return { topic, partition, message, undecodable: error };
    }
  }

  /**
   * The messages from `from` that can share one transaction: up to batchSize and
   * MAX_SHARED_TRANSACTION this service handles, of distinct keys, and the messages of types it
   * does not handle between them (nothing to do for those; their offsets move with the group's).
   * A message that cannot be decoded ends the group: it is dead-lettered in its turn. One key
   * (one aggregate) per group keeps a handler's reads that go outside the transaction (a cache,
   * another service) from missing the uncommitted effect of an earlier message of the group:
   * two events of one aggregate are still handled one commit after the other, as across
   * partitions. (Letting the unhandled pass matters: a topic's events alternate between types a
   * service handles and types it ignores, and each one ending the group cut it to one message.)
   */
  private nextGroup(deliveries: Delivery[], from: number): Delivery[] {
    const group = [deliveries[from]];
    if (!deliveries[from].handler) return group;
    const keys = new Set([keyOf(deliveries[from])]);
    const limit = Math.min(this.options.batchSize, MAX_SHARED_TRANSACTION);
    for (let i = from + 1, handled = 1; i < deliveries.length && handled < limit; i++) {
      const next = deliveries[i];
      if ('undecodable' in next) break;
      if (next.handler) {
        if (keys.has(keyOf(next))) break;
        keys.add(keyOf(next));
        handled++;
      }
      group.push(next);
    }
    return group;
  }

  /**
   * The handled messages of a group, when there are several, in one transaction: one inbox
   * statement, one commit for all (under load, a partition's backlog costs a fraction of the
   * round trips and WAL flushes). If any of them fails, the transaction is rolled back and each
   * message is handled on its own, with retries and the DLQ, as if the group had never been tried.
   */
  private async processGroup(group: Delivery[], heartbeat: () => Promise<void>): Promise<boolean> {
    const handled = group.filter((delivery) => delivery.handler);
    if (handled.length > 1) {
      try {
        await this.handleInOneTransaction(handled, 1);
        return true;
      } catch (error) {
        this.options.onError?.(error);
      }
    }
    for (const delivery of group) if (!(await this.processMessage(delivery, heartbeat))) return false;
    return true;
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

  /** Handles (or dead-letters) one message; false when the consumer stopped before it could. */
  private async processMessage(delivery: Delivery, heartbeat: () => Promise<void>): Promise<boolean> {
    const { topic, partition, message, event } = delivery;
    if ('undecodable' in delivery) {
      await this.deadLetter(topic, partition, message, delivery.undecodable, 1);
      return true;
    }
    if (!event || !delivery.handler) return true; // a type this service does not react to

    let lastError: unknown;
    let outageTries = 0;
    for (let attempt = 1; attempt <= this.options.maxAttempts; ) {
      try {
        await this.handleInOneTransaction([delivery], attempt);
        return true;
      } catch (error) {
        lastError = error;
        this.options.onError?.(error);
        if (isDatabaseUnavailable(error)) {
          // Not the message's fault, and no later attempt can succeed before the database is back.
          await this.backoff(++outageTries, heartbeat, MAX_OUTAGE_BACKOFF_MS);
          if (this.stopping) return false;
          continue;
        }
        outageTries = 0;
        if (attempt < this.options.maxAttempts) await this.backoff(attempt, heartbeat);
        // A backoff cut short by stop() proves nothing: the message is retried after the restart.
        if (this.stopping) return false;
        attempt++;
      }
    }
    await this.deadLetter(topic, partition, message, lastError, this.options.maxAttempts, event.eventId);
    return true;
  }

  /** Each delivery's inbox row and handler, all in one transaction; a delivery seen before is skipped. */
  private async handleInOneTransaction(deliveries: Delivery[], attempt: number): Promise<void> {
    const handleable = deliveries.map((delivery) => {
      if (!delivery.event || !delivery.handler) throw new Error('only decoded events with a handler are handled in a transaction');
      return delivery as HandledDelivery;
    });
    const client = await this.pool.connect();
    const handled: Array<{ event: CatalogEvent; durationMs: number }> = [];
    let broken: Error | undefined;
    try {
      // A handler stuck in the database is cut off at the processing timeout too.
      await begin(client, { statementTimeoutMs: this.options.processingTimeoutMs });
      const fresh = await this.recordInInbox(client, handleable);
      for (const { topic, partition, message, event, handler } of handleable) {
        if (!fresh.delete(event.eventId.toLowerCase())) continue; // handled before: exactly one effect
        const started = performance.now();
        const call = () => whileHolding(this.pool, () => handler(event, { topic, partition, offset: message.offset, attempt, transaction: client }));
        await consumeSpan(event.eventType, event.metadata.traceparent, { 'messaging.destination.name': topic, 'messaging.consumer.group.name': this.options.groupId, 'messaging.message.id': event.eventId }, () =>
          withTimeout(this.options.around ? this.options.around(event, call) : call(), this.options.processingTimeoutMs),
        );
        handled.push({ event, durationMs: performance.now() - started });
      }
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
    for (const { event, durationMs } of handled) this.options.onHandled?.(event, durationMs);
  }

  /** The deliveries' inbox rows; returns the event ids (lower case) not recorded before: to handle now. */
  private async recordInInbox(client: PoolClient, deliveries: HandledDelivery[]): Promise<Set<string>> {
    const column = <T>(pick: (d: HandledDelivery) => T) => deliveries.map(pick);
    const { rows } = await client.query<{ event_id: string }>({
      ...this.inboxInsert,
      values: [
        this.options.groupId,
        column((d) => d.event.eventId),
        column((d) => d.event.eventType),
        column((d) => d.topic),
        column((d) => d.partition),
        column((d) => d.message.offset),
      ],
    });
    return new Set(rows.map((r) => r.event_id));
  }

  private async backoff(attempt: number, heartbeat: () => Promise<void>, maxMs = 30_000): Promise<void> {
    const delay = Math.min(this.options.retryBackoffMs * 2 ** (attempt - 1), maxMs);
    const until = Date.now() + delay;
    // Keep heartbeating so a long backoff is not mistaken for a dead consumer.
    while (Date.now() < until && !this.stopping) {
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
