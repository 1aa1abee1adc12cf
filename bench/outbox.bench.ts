/**
 * Outbox relay benchmark (real PostgreSQL + real Kafka). Prints numbers, asserts nothing.
 *
 *   node infra/up.mjs
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register bench/outbox.bench.ts \
 *     [--events 20000] [--aggregates 1000] [--batch-sizes 100,500,1000] [--append-concurrency 16] \
 *     [--rate 1000] [--seconds 20] [--tick-ms 10] [--latency-batch 500] [--max-wait 10] \
 *     [--relays library[,proposed,pipelined]] [--analyze] \
 *     [--latency-runs library:eventconsumer,library:interval-commit[,library:autocommit,pipelined:interval-commit,...]] \
 *     [--skip-throughput] [--skip-latency]
 *
 * 1. Relay throughput: N events appended (relay stopped) into a fresh schema, then the relay is
 *    started and timed until every outbox row is marked published; compared with a plain kafkajs
 *    producer.sendBatch of the same messages (idempotent, acks -1, maxInFlightRequests 1), in
 *    batches of the same size, to a separate topic. `--analyze` refreshes table statistics first.
 * 2. Commit -> consumer latency at a steady rate: 1-event appends scheduled by wall clock, the relay
 *    running, a kafkajs consumer (own group, latest offsets, in a child process) timing receipt.
 *    Consumer modes: `autocommit` (kafkajs defaults: an OffsetCommit after every batch, before the
 *    next fetch), `eventconsumer` (the run() options libs/messaging EventConsumer uses) and
 *    `interval-commit` (autoCommit false, offsets committed by a 1 s timer).
 *
 * Relays: `library` is the library's OutboxRelay, unmodified. `proposed` and `pipelined` are
 * bench-local EXPERIMENTS (class ProposedRelay below) that measured the changes the library has
 * since adopted (mark-and-read in one statement, a pinned plan, pipelined reads); they are kept
 * to compare against, and are not the library.
 *
 * To split the relay's time into phases, this script observes it from outside: pg's
 * Client.prototype.query is wrapped to time the relay's outbox SELECT / UPDATE (matched by SQL text,
 * for this run's schema only), the Kafka producer the relay creates is wrapped to time sendBatch,
 * and the relay's LISTEN connection gets an extra 'notification' listener.
 */
import { migrateEventStore, PostgresEventStore, sqlIdentifier, type EventSchemas } from '@causeway/eventsourcing';
import { contractTestSchemas, noted } from '@causeway/eventsourcing/testing';
import { OutboxRelay, toKafkaMessage } from '@causeway/messaging';
import { createTestDatabase, testSettings, uniqueName, type TestDatabase } from '@causeway/testing';
import { Kafka, logLevel, type ProducerBatch, type TopicMessages } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { Client, type Pool } from 'pg';
import { flag, has } from './args';
import { allProcessTicks, groupByComm, machineTicks, TICKS_PER_SECOND, type ProcessTicks } from './proc-cpu';

// ---------------------------------------------------------------------------------------------
// arguments

const EVENTS = Number(flag('events', '20000'));
const AGGREGATES = Number(flag('aggregates', '1000'));
const BATCH_SIZES = flag('batch-sizes', flag('batch', '100,500,1000')).split(',').map(Number);
const APPEND_CONCURRENCY = Number(flag('append-concurrency', '16'));
const RATE = Number(flag('rate', '1000'));
const SECONDS = Number(flag('seconds', '20'));
const TICK_MS = Number(flag('tick-ms', '10'));
const LATENCY_BATCH = Number(flag('latency-batch', '500'));
const MAX_WAIT = Number(flag('max-wait', '10'));
const POLL_INTERVAL_MS = 1_000;
const PARTITIONS = 3;

const settings = testSettings();
const DB_URL = settings.event_store.database_url;
const kafka = new Kafka({ clientId: 'outbox-bench', brokers: settings.kafka.brokers, logLevel: logLevel.ERROR });

// ---------------------------------------------------------------------------------------------
// small helpers

const now = () => performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 5): Promise<void> {
  const deadline = now() + timeoutMs;
  while (!(await check())) {
    if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function summary(values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1).padStart(7) : '      -');
  return `p50 ${f(pct(s, 50))}  p90 ${f(pct(s, 90))}  p99 ${f(pct(s, 99))}  max ${f(s.at(-1) ?? NaN)}  mean ${f(mean)}  (n=${s.length})`;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Whole-machine CPU use between two samples ('n/a' off Linux). */
function cpuBusy(a: { busy: number; total: number }, b: { busy: number; total: number }): string {
  return b.total > a.total ? `${((100 * (b.busy - a.busy)) / (b.total - a.total)).toFixed(0)}%` : 'n/a';
}

function cpuByProcess(a: Map<number, ProcessTicks>, b: Map<number, ProcessTicks>, ms: number, names: Record<number, string>): string {
  const groups = new Map<string, number>();
  for (const [pid, { comm, ticks }] of b) {
    const before = a.get(pid)?.ticks ?? 0;
    const group = names[pid] ?? groupByComm(comm);
    groups.set(group, (groups.get(group) ?? 0) + ticks - before);
  }
  return [...groups].filter(([, t]) => t > 0).sort((x, y) => y[1] - x[1]).map(([g, t]) => `${g} ${((t / TICKS_PER_SECOND / (ms / 1000)) * 100).toFixed(0)}%`).join(', ') + ' (of one core)';
}

/**
 * How PostgreSQL runs the relay's read right now: the previous library SELECT (a plain join, left
 * to the planner) and OutboxRelay's current mark-and-read statement (its own text, parameters inlined).
 */
async function explainRelaySelect(pool: Pool, schema: string, batchSize: number): Promise<string> {
  const cols = `o.id, o.topic, o.created_at, e.global_position, e.aggregate_id, e.version, e.event_id, e.event_type,
              e.aggregate_type, e.schema_version, e.data, e.metadata, e.occurred_at`;
  const plainJoin = `SELECT ${cols}
       FROM ${schema}.outbox o
       JOIN ${schema}.events e ON e.aggregate_id = o.aggregate_id AND e.version = o.version
       WHERE o.published_at IS NULL
       ORDER BY o.id
       LIMIT ${batchSize}`;
  const relay = new OutboxRelay({}, kafka, { schema, batchSize, pollIntervalMs: POLL_INTERVAL_MS });
  const library = (relay as unknown as { markAndRead: { text: string } }).markAndRead.text
    .replace('$1', String(batchSize)).replace('$2::bigint[]', "'{}'::bigint[]").replace('$3::bigint[]', "'{}'::bigint[]");
  const describe = async (sql: string, planner: string) => {
    const client = await pool.connect();
    let rows: Array<Record<string, unknown>>;
    try {
      await client.query('BEGIN');
      if (planner) await client.query(planner);
      rows = (await client.query(`EXPLAIN (ANALYZE, SUMMARY) ${sql}`)).rows;
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
    const lines = rows.map((r) => String(r['QUERY PLAN']));
    const join = lines.find((l) => /Hash Join|Nested Loop|Merge Join/.test(l))?.trim().replace(/\s+\(cost.*/, '').replace(/^->\s+/, '') ?? '?';
    const seqEvents = lines.filter((l) => /Seq Scan on events_p/.test(l)).length;
    const outboxScan = lines.find((l) => /on outbox/.test(l));
    const est = outboxScan?.match(/rows=(\d+)/)?.[1];
    const act = outboxScan?.match(/actual time=[^ ]+ rows=(\d+)/)?.[1];
    const time = (label: string) => lines.find((l) => l.includes(label))?.replace(/.*: /, '') ?? '?';
    return `${join}${seqEvents ? ` + Seq Scan of all ${seqEvents} events partitions` : ' + index lookups into events'}, outbox rows est ${est ?? '?'}/actual ${act ?? '?'}, `
      + `planning ${time('Planning Time')}, execution ${time('Execution Time')}`;
  };
  const { rows: stats } = await pool.query(
    `SELECT n_live_tup, n_dead_tup, (last_autoanalyze IS NOT NULL OR last_analyze IS NOT NULL) AS analyzed FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'outbox'`,
    [schema],
  );
  const { rows: [{ n: events }] } = await pool.query(`SELECT count(*)::int AS n FROM ${schema}.events`);
  const o = stats[0] ?? {};
  return `[${fmt(events)} events; outbox live/dead tuples ${o.n_live_tup}/${o.n_dead_tup}, analyzed ${o.analyzed}]\n`
    + `      previous plain-join SELECT:    ${await describe(plainJoin, '')}\n`
    + `      OutboxRelay mark-and-read:     ${await describe(library, '')}`;
}

// ---------------------------------------------------------------------------------------------
// cleanup registry: every created resource registers its disposal; run on success, failure, SIGINT

const cleanups: Array<{ name: string; run: () => Promise<unknown> }> = [];
function onCleanup(name: string, run: () => Promise<unknown>): () => Promise<void> {
  const entry = { name, run };
  cleanups.push(entry);
  return async () => {
    const i = cleanups.indexOf(entry);
    if (i >= 0) cleanups.splice(i, 1);
    await withTimeout(run(), 15_000, name).catch((e) => console.error(`cleanup ${name} failed:`, e));
  };
}
/** Runs (LIFO) every cleanup registered since `mark` = cleanups.length was taken. */
async function cleanupSince(mark: number): Promise<void> {
  while (cleanups.length > mark) {
    const entry = cleanups.pop()!;
    await withTimeout(entry.run(), 15_000, entry.name).catch((e) => console.error(`cleanup ${entry.name} failed:`, e));
  }
}
async function cleanupAll(): Promise<void> {
  while (cleanups.length) {
    const entry = cleanups.pop()!;
    await withTimeout(entry.run(), 15_000, entry.name).catch((e) => console.error(`cleanup ${entry.name} failed:`, e));
  }
}
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms))),
  ]);
}

async function createTopic(prefix: string): Promise<{ topic: string; dispose: () => Promise<void> }> {
  const topic = uniqueName(prefix);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }] });
  } finally {
    await admin.disconnect();
  }
  const dispose = onCleanup(`delete topic ${topic}`, async () => {
    const a = kafka.admin();
    await a.connect();
    await a.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await a.disconnect();
  });
  return { topic, dispose };
}

async function createDatabase(): Promise<{ db: TestDatabase; dispose: () => Promise<void> }> {
  const db = await createTestDatabase('bench_outbox', 24);
  const dispose = onCleanup(`drop schema ${db.schema}`, () => db.dispose());
  await migrateEventStore(db.pool, { schema: db.schema, partitions: settings.event_store.partitions });
  return { db, dispose };
}

const schemasFor = (topic: string): EventSchemas => ({ ...contractTestSchemas().schemas, topic: () => topic });

// ---------------------------------------------------------------------------------------------
// observing the relay from outside

interface RelayProbe {
  schema: string;
  selects: Array<{ start: number; end: number; rows: number }>;
  updates: Array<{ start: number; end: number }>;
  sends: Array<{ start: number; end: number; messages: number }>;
  notifications: number[];
  /** per eventId: relay SELECT start/end, send start, ack */
  selectStart: Map<string, number>;
  readAt: Map<string, number>;
  sendAt: Map<string, number>;
  ackAt: Map<string, number>;
  perEvent: boolean;
}
let probe: RelayProbe | undefined;

function newProbe(schema: string, perEvent: boolean): RelayProbe {
  return {
    schema, perEvent, selects: [], updates: [], sends: [], notifications: [],
    selectStart: new Map(), readAt: new Map(), sendAt: new Map(), ackAt: new Map(),
  };
}

type QueryFn = (this: Client, ...args: unknown[]) => unknown;
const originalQuery = Client.prototype.query as unknown as QueryFn;
(Client.prototype as unknown as { query: QueryFn }).query = function (this: Client, ...args: unknown[]) {
  const p = probe;
  const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
  const promised = args.length <= 2 && typeof args[1] !== 'function';
  if (!p || !text || !promised) return originalQuery.apply(this, args);
  const s = p.schema;
  if (text.startsWith(`LISTEN ${s}_outbox`)) {
    this.on('notification', () => probe?.notifications.push(now()));
    return originalQuery.apply(this, args);
  }
  // OutboxRelay's SELECT .. JOIN, or the proposed relay's combined mark-previous + SELECT .. LATERAL
  const isSelect = !text.startsWith('EXPLAIN') && text.includes(`${s}.outbox`) && text.includes(`${s}.events e`);
  const isUpdate = text.startsWith(`UPDATE ${s}.outbox SET published_at`);
  if (!isSelect && !isUpdate) return originalQuery.apply(this, args);
  const start = now();
  return (originalQuery.apply(this, args) as Promise<{ rows: Array<{ event_id: string }> }>).then((result) => {
    const end = now();
    if (isSelect) {
      p.selects.push({ start, end, rows: result.rows.length });
      if (p.perEvent) for (const r of result.rows) { p.selectStart.set(r.event_id, start); p.readAt.set(r.event_id, end); }
    } else {
      p.updates.push({ start, end });
    }
    return result;
  });
};

/** The relay gets a Kafka whose producers time sendBatch; nothing else of Kafka is used by it. */
function observedKafka(): Kafka {
  return {
    producer: (config?: Parameters<Kafka['producer']>[0]) => {
      const producer = kafka.producer(config);
      const sendBatch = producer.sendBatch.bind(producer);
      producer.sendBatch = async (batch: ProducerBatch) => {
        const p = probe;
        const start = now();
        const result = await sendBatch(batch);
        const end = now();
        if (p) {
          const messages = (batch.topicMessages ?? []).flatMap((t) => t.messages);
          p.sends.push({ start, end, messages: messages.length });
          if (p.perEvent) {
            for (const m of messages) {
              const id = String(m.headers?.['event-id']);
              p.sendAt.set(id, start);
              p.ackAt.set(id, end);
            }
          }
        }
        return result;
      };
      return producer;
    },
  } as unknown as Kafka;
}

type RelayKind = 'library' | 'proposed' | 'pipelined';
const RELAYS = flag('relays', 'library').split(',') as RelayKind[];
const RELAY_TEXT: Record<RelayKind, string> = {
  library: 'OutboxRelay (libs/messaging, unmodified)',
  proposed: 'PROPOSED relay (bench experiment: planner settings on the relay session + previous batch marked in the next read)',
  pipelined: 'PIPELINED relay (bench experiment: as PROPOSED + the next batch read while the current one is being sent)',
};

interface RelayHandle {
  start(): void;
  stop(): Promise<void>;
  readonly isActive: boolean;
}

function newRelay(kind: RelayKind, schema: string, batchSize: number, onPublished?: (count: number) => void): { relay: RelayHandle; errors: unknown[] } {
  const errors: unknown[] = [];
  const options = { schema, batchSize, pollIntervalMs: POLL_INTERVAL_MS, onError: (e: unknown) => errors.push(e), onPublished: (count: number) => onPublished?.(count) };
  const relay = kind === 'library'
    ? new OutboxRelay({ connectionString: DB_URL }, observedKafka(), options)
    : new ProposedRelay(DB_URL, observedKafka(), { ...options, pipelined: kind === 'pipelined' });
  return { relay, errors };
}

/**
 * EXPERIMENT, not the library: OutboxRelay's loop with the changes this benchmark suggests for
 * libs/messaging, to measure their effect on the same machine and load.
 *  1. Planner settings on the relay's own session (enable_hashjoin/mergejoin/bitmapscan/seqscan/sort
 *     off), so the read is always an ordered scan of outbox_unpublished_idx plus one primary-key
 *     lookup per row, O(batch), whatever the table statistics say. Without them PostgreSQL picks a
 *     Hash Join over a Seq Scan of every events partition (plus a sort of the whole backlog) whenever
 *     it underestimates the unpublished rows, e.g. before the first autovacuum ANALYZE.
 *  2. The rows of the previous batch are marked published in the same statement that reads the next
 *     batch (a data-modifying CTE; the read excludes those ids, since it sees the snapshot from before
 *     the UPDATE): one round trip per cycle instead of two.
 *  3. (pipelined only) The next batch is read while the current one is being sent; it is sent only
 *     after the current one is acked (one in-flight request, order kept), and dropped if that fails.
 * Unchanged: advisory lock, LISTEN/NOTIFY + poll, one idempotent producer, acks -1, rows marked only
 * after their ack, same SELECT and message building. It waits for a wake-up when a read returns no rows.
 */
class ProposedRelay implements RelayHandle {
  private readonly s: string;
  private running = false;
  private active = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private pending = false;
  private readonly sql: string;

  constructor(
    private readonly url: string,
    private readonly kafka: Kafka,
    private readonly options: { schema: string; batchSize: number; pollIntervalMs: number; pipelined: boolean; onError: (e: unknown) => void; onPublished: (count: number) => void },
  ) {
    this.s = sqlIdentifier(options.schema);
    const s = this.s;
    // $1 batch size, $2 ids acked and to be marked now, $3 ids not to read (marked now, or in flight)
    this.sql = `
      WITH marked AS (UPDATE ${s}.outbox SET published_at = now() WHERE id = ANY($2::bigint[]))
      SELECT o.id, o.topic, o.created_at, e.global_position, e.aggregate_id, e.version, e.event_id, e.event_type,
             e.aggregate_type, e.schema_version, e.data, e.metadata, e.occurred_at
      FROM ${s}.outbox o
      JOIN ${s}.events e ON e.aggregate_id = o.aggregate_id AND e.version = o.version
      WHERE o.published_at IS NULL AND NOT (o.id = ANY($3::bigint[]))
      ORDER BY o.id
      LIMIT $1`;
  }

  get isActive(): boolean {
    return this.active;
  }

  start(): void {
    this.running = true;
    this.loop = this.run().catch((e) => this.options.onError(e));
  }

  async stop(): Promise<void> {
    this.running = false;
    this.notify();
    await this.loop;
  }

  private notify(): void {
    this.pending = true;
    this.wake?.();
  }

  private waitForWake(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake?.(), ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.pending = false;
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    const client = new Client({ connectionString: this.url });
    client.on('error', (e) => this.options.onError(e));
    await client.connect();
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    let inflight: { ids: string[]; done: Promise<unknown> } | undefined;
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [`causeway:outbox:${this.s}`]);
      if (!rows[0].locked) throw new Error('another relay holds the lock');
      this.active = true;
      client.on('notification', () => this.notify());
      await client.query(`LISTEN ${this.s}_outbox`);
      await client.query('SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_bitmapscan = off; SET enable_seqscan = off; SET enable_sort = off');
      await producer.connect();
      let acked: string[] = []; // sent and acked, not yet marked
      while (this.running) {
        const exclude = inflight ? [...acked, ...inflight.ids] : acked;
        const { rows: batch } = await client.query(this.sql, [this.options.batchSize, acked, exclude]);
        if (acked.length) this.options.onPublished(acked.length);
        acked = [];
        if (inflight) {
          await inflight.done; // throws if the send failed: the batch just read is dropped, rows stay unpublished
          acked = inflight.ids;
          inflight = undefined;
        }
        if (batch.length === 0) {
          if (acked.length === 0) await this.waitForWake(this.options.pollIntervalMs);
          continue;
        }
        const byTopic = new Map<string, TopicMessages>();
        for (const row of batch) {
          const messages: TopicMessages = byTopic.get(row.topic) ?? { topic: row.topic, messages: [] };
          messages.messages.push(toKafkaMessage({
            eventId: row.event_id, eventType: row.event_type, aggregateType: row.aggregate_type, aggregateId: row.aggregate_id, version: row.version,
            timestamp: (row.occurred_at as Date).toISOString(), schemaVersion: row.schema_version, data: row.data, metadata: row.metadata,
          }));
          byTopic.set(row.topic, messages);
        }
        const send = producer.sendBatch({ acks: -1, topicMessages: [...byTopic.values()] });
        const ids = batch.map((r) => String(r.id));
        if (this.options.pipelined) {
          send.catch(() => undefined); // awaited at the top of the next cycle
          inflight = { ids, done: send };
        } else {
          await send;
          acked = ids;
        }
      }
      if (inflight) {
        await inflight.done;
        acked = [...acked, ...inflight.ids];
        inflight = undefined;
      }
      if (acked.length) {
        await client.query(`UPDATE ${this.s}.outbox SET published_at = now() WHERE id = ANY($1::bigint[])`, [acked]);
        this.options.onPublished(acked.length);
      }
    } finally {
      this.active = false;
      await inflight?.done.catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await client.end().catch(() => undefined);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 1. relay throughput vs direct sendBatch

interface ThroughputResult {
  kind: RelayKind;
  batchSize: number;
  appendRate: number;
  relayTotalRate: number;
  relaySteadyRate: number;
  directTotalRate: number;
  directSteadyRate: number;
}

async function appendBacklog(store: PostgresEventStore, events: number, aggregates: number): Promise<number> {
  const ids = Array.from({ length: aggregates }, () => randomUUID());
  const each = Math.ceil(events / aggregates);
  let next = 0;
  let written = 0;
  const t0 = now();
  const deadline = t0 + 300_000;
  await Promise.all(
    Array.from({ length: APPEND_CONCURRENCY }, async () => {
      while (next < ids.length) {
        const id = ids[next++];
        for (let v = 0; v < each && written < events; v++) {
          if (now() > deadline) throw new Error('backlog append took longer than 300 s');
          written++;
          await store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: v, events: [noted(`${id}:${v + 1}`)] });
        }
      }
    }),
  );
  return (written / (now() - t0)) * 1000;
}

async function throughput(batchSize: number, kind: RelayKind): Promise<ThroughputResult> {
  console.log(`\n--- relay throughput: ${RELAY_TEXT[kind]}, ${fmt(EVENTS)} events over ${fmt(AGGREGATES)} aggregates, batchSize ${batchSize} ---`);
  const mark = cleanups.length;
  try {
    const { db } = await createDatabase();
    const relayTopic = await createTopic('bench_outbox_relay');
    const directTopic = await createTopic('bench_outbox_direct');
    const store = new PostgresEventStore(db.pool, { schema: db.schema, schemas: schemasFor(relayTopic.topic) });
    const appendRate = await appendBacklog(store, EVENTS, AGGREGATES);
    const { rows: [{ n: backlog }] } = await db.pool.query(`SELECT count(*)::int AS n FROM ${db.schema}.outbox WHERE published_at IS NULL`);
    console.log(`appended ${fmt(backlog)} events (1 event per append, ${APPEND_CONCURRENCY} concurrent) at ${fmt(appendRate)} events/s; relay was stopped`);
    if (has('analyze')) {
      await db.pool.query(`ANALYZE ${db.schema}.outbox; ANALYZE ${db.schema}.events`);
      console.log('--analyze: ran ANALYZE on outbox and events before starting the relay (fresh statistics)');
    }
    console.log(`relay read plan now ${await explainRelaySelect(db.pool, db.schema, batchSize)}`);

    // -- relay
    probe = newProbe(db.schema, false);
    let published = 0;
    let firstPublishedAt = 0;
    let firstBatch = 0;
    let lastPublishedAt = 0;
    const { relay, errors } = newRelay(kind, db.schema, batchSize, (count) => {
      if (published === 0) { firstPublishedAt = now(); firstBatch = count; }
      published += count;
      lastPublishedAt = now();
    });
    const stopRelay = onCleanup('stop relay', () => relay.stop());
    const cpu0 = machineTicks();
    const procs0 = allProcessTicks();
    const t0 = now();
    relay.start();
    await until('the relay to publish the backlog', () => published >= backlog || errors.length > 0, 180_000, 2);
    const relayMs = lastPublishedAt - t0;
    const cpu1 = machineTicks();
    const procs1 = allProcessTicks();
    await stopRelay();
    if (errors.length) throw errors[0];
    const { rows: [{ n: left }] } = await db.pool.query(`SELECT count(*)::int AS n FROM ${db.schema}.outbox WHERE published_at IS NULL`);
    const p = probe;
    probe = undefined;
    const relayTotalRate = (backlog / relayMs) * 1000;
    const relaySteadyRate = ((backlog - firstBatch) / (lastPublishedAt - firstPublishedAt)) * 1000;
    const sum = (xs: Array<{ start: number; end: number }>) => xs.reduce((a, x) => a + x.end - x.start, 0);
    const selectMs = sum(p.selects);
    const sendMs = sum(p.sends);
    const updateMs = sum(p.updates);
    const startupMs = (p.selects[0]?.start ?? t0) - t0;
    console.log(`relay:  ${fmt(relayTotalRate)} events/s from start() to last row marked (${fmt(relayMs)} ms, ${p.sends.length} batches, unpublished left: ${left}, machine CPU ${cpuBusy(cpu0, cpu1)})`);
    console.log(`        ${fmt(relaySteadyRate)} events/s steady (first batch marked -> last batch marked)`);
    console.log(`        time split: startup (pg connect, lock, LISTEN, producer connect) ${fmt(startupMs)} ms | SELECT ${fmt(selectMs)} ms | sendBatch ${fmt(sendMs)} ms | UPDATE ${fmt(updateMs)} ms | other (build messages, loop) ${fmt(relayMs - startupMs - selectMs - sendMs - updateMs)} ms${kind === 'pipelined' ? ' (SELECT and send overlap here, so the parts add up to more than the total)' : ''}`);
    console.log(`        CPU while the relay ran: ${cpuByProcess(procs0, procs1, now() - t0, { [process.pid]: 'node (relay)' })}`);
    console.log(`        per batch: SELECT ${summary(p.selects.filter((x) => x.rows > 0).map((x) => x.end - x.start))}`);
    console.log(`                   send   ${summary(p.sends.map((x) => x.end - x.start))}`);
    console.log(`                   UPDATE ${summary(p.updates.map((x) => x.end - x.start))}`);

    // -- direct sendBatch of the same messages
    const { rows } = await db.pool.query(
      `SELECT e.event_id, e.event_type, e.aggregate_type, e.aggregate_id, e.version, e.occurred_at, e.schema_version, e.data, e.metadata
       FROM ${db.schema}.outbox o JOIN ${db.schema}.events e ON e.aggregate_id = o.aggregate_id AND e.version = o.version ORDER BY o.id`,
    );
    const envelopes = rows.map((r) => ({
      eventId: r.event_id, eventType: r.event_type, aggregateType: r.aggregate_type, aggregateId: r.aggregate_id, version: r.version,
      timestamp: (r.occurred_at as Date).toISOString(), schemaVersion: r.schema_version, data: r.data, metadata: r.metadata,
    }));
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    const disconnect = onCleanup('disconnect direct producer', () => producer.disconnect());
    const d0 = now();
    await producer.connect();
    const connected = now();
    let firstAck = 0;
    let firstSize = 0;
    const sendTimes: number[] = [];
    for (let i = 0; i < envelopes.length; i += batchSize) {
      if (now() - d0 > 180_000) throw new Error('direct send took longer than 180 s');
      const slice = envelopes.slice(i, i + batchSize);
      const s = now();
      await producer.sendBatch({ acks: -1, topicMessages: [{ topic: directTopic.topic, messages: slice.map(toKafkaMessage) }] });
      sendTimes.push(now() - s);
      if (i === 0) { firstAck = now(); firstSize = slice.length; }
    }
    const d1 = now();
    await disconnect();
    const directTotalRate = (envelopes.length / (d1 - d0)) * 1000;
    const directSteadyRate = ((envelopes.length - firstSize) / (d1 - firstAck)) * 1000;
    console.log(`direct: ${fmt(directTotalRate)} events/s incl. producer connect (${fmt(d1 - d0)} ms; connect ${fmt(connected - d0)} ms)`);
    console.log(`        ${fmt(directSteadyRate)} events/s steady (first batch acked -> last batch acked)`);
    console.log(`        per batch: send   ${summary(sendTimes)}`);
    console.log(`ratio ${kind} relay/direct: ${(relayTotalRate / directTotalRate).toFixed(2)}x (from start), ${(relaySteadyRate / directSteadyRate).toFixed(2)}x (steady)   [target >= 0.5x]`);
    return { kind, batchSize, appendRate, relayTotalRate, relaySteadyRate, directTotalRate, directSteadyRate };
  } finally {
    probe = undefined;
    await cleanupSince(mark);
  }
}

// ---------------------------------------------------------------------------------------------
// 2. commit -> consumer latency at a steady rate
//
// The appender and the relay run in this process (as in a service: commands append, the relay is
// in-process). The consumer runs in a child process of its own (as the consuming service would),
// so its fetch loop neither steals this event loop nor is delayed by it. Receipt times are mapped
// onto this process's clock through an IPC ping calibration (offset from the lowest-RTT ping).

type ConsumerMode = 'autocommit' | 'eventconsumer' | 'interval-commit';
const LATENCY_RUNS = flag('latency-runs', 'library:eventconsumer,library:interval-commit')
  .split(',')
  .map((r) => r.split(':') as [RelayKind, ConsumerMode]);
const MODE_TEXT: Record<ConsumerMode, string> = {
  autocommit: `eachMessage, maxWaitTimeInMs ${MAX_WAIT}, minBytes 1, kafkajs default autoCommit (an OffsetCommit after every batch, before the next fetch)`,
  eventconsumer: 'the options of libs/messaging EventConsumer: eachBatch, autoCommit false with offsets committed by a 1 s timer, '
    + 'partitionsConsumedConcurrently 4, resolveOffset + heartbeat per message; maxWaitTimeInMs 100, minBytes 1 (no inbox/DB work)',
  'interval-commit': `eachMessage, maxWaitTimeInMs ${MAX_WAIT}, minBytes 1, autoCommit false, offsets committed by a 1 s timer outside the fetch path`,
};

type ToChild = { type: 'ping'; id: number } | { type: 'collect'; ids: string[]; timeoutMs: number };
type FromChild =
  | { type: 'joined' }
  | { type: 'received-first' }
  | { type: 'pong'; id: number; t: number }
  | { type: 'result'; receipts: Array<[string, number]>; requests: Record<string, number[]>; cpuPct: number; loopP99: number };

/** Child process: a kafkajs consumer on `topic` under a fresh group, recording when each event-id arrives. */
async function consumerRole(): Promise<void> {
  const topic = flag('topic', '');
  const mode = flag('mode', 'autocommit') as ConsumerMode;
  const send = (m: FromChild) => process.send?.(m);
  const clock = () => performance.timeOrigin + performance.now();
  const receipts = new Map<string, number>();
  const requests: Record<string, number[]> = {};
  const groupId = flag('group', uniqueName('bench_outbox_latency'));
  const consumer = mode === 'eventconsumer'
    ? kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false }) // as EventConsumer.start()
    : kafka.consumer({ groupId, maxWaitTimeInMs: MAX_WAIT, minBytes: 1, allowAutoTopicCreation: false });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await withTimeout(consumer.disconnect(), 10_000, 'consumer disconnect').catch(() => undefined);
    process.exit(code);
  };
  process.on('disconnect', () => void stop(0)); // the parent went away: leave the group, exit
  process.on('SIGINT', () => void stop(130));
  process.on('SIGTERM', () => void stop(143));
  consumer.on(consumer.events.GROUP_JOIN, () => send({ type: 'joined' }));
  consumer.on(consumer.events.REQUEST, ({ payload }) => (requests[payload.apiName] ??= []).push(payload.duration));
  const offsets = new Map<number, string>();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  const record = (message: { headers?: Record<string, unknown>; offset: string }, partition: number) => {
    const t = clock();
    if (receipts.size === 0) send({ type: 'received-first' });
    receipts.set(String(message.headers?.['event-id']), t);
    offsets.set(partition, (BigInt(message.offset) + 1n).toString());
  };
  if (mode === 'eventconsumer') {
    // Mirrors EventConsumer.start()/processBatch(), minus the handler's inbox transaction;
    // offsets are committed by the timer below, as EventConsumer does.
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        for (const message of batch.messages) {
          if (!isRunning() || isStale()) return;
          record(message, batch.partition);
          resolveOffset(message.offset);
          await heartbeat();
        }
      },
    });
  } else {
    await consumer.run({
      autoCommit: mode === 'autocommit', // kafkajs default: an OffsetCommit after every batch, before the next fetch
      eachMessage: async ({ partition, message }) => record(message, partition),
    });
  }
  // interval-commit: offsets committed by a timer, once a second, outside the fetch -> eachMessage path.
  const committer = mode !== 'autocommit'
    ? setInterval(() => {
        const list = [...offsets].map(([partition, offset]) => ({ topic, partition, offset }));
        offsets.clear();
        if (list.length) consumer.commitOffsets(list).catch(() => undefined);
      }, 1_000)
    : undefined;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const started = now();
  process.on('message', async (m: ToChild) => {
    if (m.type === 'ping') send({ type: 'pong', id: m.id, t: clock() });
    if (m.type === 'collect') {
      const deadline = now() + m.timeoutMs;
      while (m.ids.some((id) => !receipts.has(id)) && now() < deadline) await sleep(20);
      if (committer) clearInterval(committer);
      const cpu = process.cpuUsage(cpu0);
      send({
        type: 'result',
        receipts: m.ids.filter((id) => receipts.has(id)).map((id) => [id, receipts.get(id)!]),
        requests,
        cpuPct: ((cpu.user + cpu.system) / 1000 / (now() - started)) * 100,
        loopP99: loop.percentile(99) / 1e6,
      });
    }
  });
}

function startConsumerChild(topic: string, mode: ConsumerMode): { child: ChildProcess; next: (type: FromChild['type'], timeoutMs: number) => Promise<FromChild>; dispose: () => Promise<void> } {
  const groupId = uniqueName('bench_outbox_latency');
  onCleanup(`delete consumer group ${groupId}`, async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  });
  const child = fork(__filename, ['--role', 'consumer', '--topic', topic, '--mode', mode, '--max-wait', String(MAX_WAIT), '--group', groupId], { execArgv: process.execArgv, stdio: 'inherit' });
  const inbox: FromChild[] = [];
  const waiters: Array<() => void> = [];
  child.on('message', (m: FromChild) => {
    inbox.push(m);
    waiters.splice(0).forEach((w) => w());
  });
  const next = async (type: FromChild['type'], timeoutMs: number): Promise<FromChild> => {
    const deadline = now() + timeoutMs;
    for (;;) {
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) return inbox.splice(i, 1)[0];
      if (now() > deadline || child.exitCode !== null) throw new Error(`consumer child: no '${type}' within ${timeoutMs} ms (exit code ${child.exitCode})`);
      await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 50); });
    }
  };
  const dispose = onCleanup(`stop consumer child ${child.pid}`, async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.disconnect(); // the child leaves its group and exits
    await withTimeout(exited, 12_000, 'consumer child exit').catch(() => child.kill('SIGKILL'));
  });
  return { child, next, dispose };
}

/** Child clock minus parent clock (both as epoch ms: timeOrigin + now()), from the ping with the smallest round trip. */
async function clockOffset(child: ChildProcess, next: (type: 'pong', timeoutMs: number) => Promise<FromChild>): Promise<{ offset: number; rtt: number }> {
  let best = { offset: 0, rtt: Infinity };
  for (let id = 0; id < 30; id++) {
    const t0 = now();
    child.send({ type: 'ping', id } satisfies ToChild);
    const pong = (await next('pong', 5_000)) as Extract<FromChild, { type: 'pong' }>;
    const t1 = now();
    if (t1 - t0 < best.rtt) best = { offset: pong.t - (performance.timeOrigin + (t0 + t1) / 2), rtt: t1 - t0 };
    await sleep(5);
  }
  return best;
}

interface LatencyResult {
  kind: RelayKind;
  mode: ConsumerMode;
  commitRate: number;
  sent: number;
  received: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  relayP50: number;
  relayP99: number;
  consumerP50: number;
  consumerP99: number;
}

async function latency(kind: RelayKind, mode: ConsumerMode): Promise<LatencyResult> {
  const perTick = Math.round((RATE * TICK_MS) / 1000);
  console.log(`\n--- commit -> consumer latency: ${fmt(RATE)} events/s (${perTick} concurrent 1-event appends every ${TICK_MS} ms) for ${SECONDS} s`);
  console.log(`    relay: ${RELAY_TEXT[kind]}, batchSize ${LATENCY_BATCH}, pollIntervalMs ${POLL_INTERVAL_MS}`);
  console.log(`    consumer '${mode}' (separate process, own group, fromBeginning false): ${MODE_TEXT[mode]} ---`);
  const mark = cleanups.length;
  let latencyResult: LatencyResult | undefined;
  try {
    const { db } = await createDatabase();
    const { topic } = await createTopic('bench_outbox_latency');
    const store = new PostgresEventStore(db.pool, { schema: db.schema, schemas: schemasFor(topic) });

    const { child, next } = startConsumerChild(topic, mode);
    await next('joined', 60_000);
    const clock = await clockOffset(child, next as (type: 'pong', timeoutMs: number) => Promise<FromChild>);

    probe = newProbe(db.schema, true);
    const { relay, errors } = newRelay(kind, db.schema, LATENCY_BATCH);
    onCleanup('stop relay', () => relay.stop());
    relay.start();
    await until('the relay to become active', () => relay.isActive, 30_000, 20);

    // Warm-up: the consumer's first fetch position (latest) must be set before measuring.
    const warmDeadline = now() + 30_000;
    const first = next('received-first', 30_000);
    let warm = true;
    first.then(() => (warm = false), () => undefined);
    while (warm) {
      if (now() > warmDeadline) throw new Error('warm-up: nothing reached the consumer in 30 s');
      await Promise.all(Array.from({ length: 10 }, () => store.append({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [noted('warm-up')] })));
      await sleep(100);
    }
    await first;
    await sleep(1_000);
    probe.selects.length = 0; probe.sends.length = 0; probe.updates.length = 0; probe.notifications.length = 0;

    // Steady appends, scheduled by wall clock: tick k fires at t0 + k * TICK_MS (late ticks catch up).
    const commitAt = new Map<string, number>();
    const appendMs: number[] = [];
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    const cpu0 = machineTicks();
    const procs0 = allProcessTicks();
    const cpuProc0 = process.cpuUsage();
    const ticks = Math.round((SECONDS * 1000) / TICK_MS);
    let midPlan: Promise<string> | undefined;
    const inflight = new Set<Promise<void>>();
    let appendErrors = 0;
    let lateTicks = 0;
    let lastCommit = 0;
    const t0 = now();
    for (let k = 0; k < ticks; k++) {
      const wait = t0 + k * TICK_MS - now();
      if (wait > 0) await sleep(wait);
      else if (wait < -TICK_MS) lateTicks++;
      if (k === Math.floor(ticks / 2)) midPlan = explainRelaySelect(db.pool, db.schema, LATENCY_BATCH).catch((e) => `EXPLAIN failed: ${e}`);
      for (let i = 0; i < perTick; i++) {
        const event = noted('latency');
        const start = now();
        const p: Promise<void> = store
          .append({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [event] })
          .then(() => {
            lastCommit = now();
            commitAt.set(event.eventId, lastCommit);
            appendMs.push(lastCommit - start);
          })
          .catch(() => void appendErrors++)
          .finally(() => inflight.delete(p));
        inflight.add(p);
      }
    }
    const t1 = now();
    await withTimeout(Promise.all(inflight), 60_000, 'in-flight appends');
    const cpu1 = machineTicks();
    const procs1 = allProcessTicks();
    const procMs = now() - t0;
    const cpuProc = process.cpuUsage(cpuProc0);
    loopDelay.disable();
    const sent = commitAt.size;
    child.send({ type: 'collect', ids: [...commitAt.keys()], timeoutMs: 30_000 } satisfies ToChild);
    const result = (await next('result', 45_000)) as Extract<FromChild, { type: 'result' }>;
    await relay.stop();
    const p = probe;
    probe = undefined;

    const receivedAt = new Map(result.receipts.map(([id, t]) => [id, t - performance.timeOrigin - clock.offset] as const));
    const ids = [...commitAt.keys()].filter((id) => receivedAt.has(id));
    const lat = ids.map((id) => receivedAt.get(id)! - commitAt.get(id)!);
    const issued = ticks * perTick;
    console.log(`issued ${fmt(issued)} appends in ${((t1 - t0) / 1000).toFixed(1)} s (${fmt(issued / ((t1 - t0) / 1000))}/s, ticks >1 tick late: ${lateTicks}); committed ${fmt(sent)} by ${((lastCommit - t0) / 1000).toFixed(1)} s = ${fmt(sent / ((lastCommit - t0) / 1000))} commits/s; append errors ${appendErrors}; relay errors ${errors.length}`);
    console.log(`append latency (request -> commit):   ${summary(appendMs)}`);
    console.log(`received ${fmt(receivedAt.size)} / ${fmt(sent)}   (child clock offset ${clock.offset.toFixed(2)} ms, calibrated with a ${clock.rtt.toFixed(2)} ms IPC round trip)`);
    console.log(`COMMIT -> CONSUMER latency, ms:       ${summary(lat)}   [target p50 <= 15, p99 <= 50]`);
    const part = (from: Map<string, number>, to: Map<string, number>) => ids.filter((id) => from.has(id) && to.has(id)).map((id) => to.get(id)! - from.get(id)!);
    console.log('split, ms (per event):');
    console.log(`  commit -> relay SELECT starts:     ${summary(part(commitAt, p.selectStart))}   (NOTIFY wake-up, or waiting for the relay's current cycle)`);
    console.log(`  SELECT..JOIN round trip:           ${summary(part(p.selectStart, p.readAt))}`);
    console.log(`  rows read -> sendBatch starts:     ${summary(part(p.readAt, p.sendAt))}`);
    console.log(`  sendBatch -> ack (acks -1):        ${summary(part(p.sendAt, p.ackAt))}`);
    console.log(`  ack -> consumer eachMessage:       ${summary(part(p.ackAt, receivedAt))}`);
    console.log(`  commit -> ack (relay's share):     ${summary(part(commitAt, p.ackAt))}`);
    const cycles = p.sends.map((s, i) => (i > 0 ? s.start - p.sends[i - 1].start : NaN)).filter(Number.isFinite);
    console.log(`relay cycles (${kind === 'library' ? 'SELECT -> sendBatch -> UPDATE' : kind === 'proposed' ? 'mark previous + SELECT -> sendBatch' : 'mark previous + SELECT next || sendBatch current'} -> wait/NOTIFY if idle):`);
    console.log(`  batches ${fmt(p.sends.length)}; rows per batch ${summary(p.sends.map((s) => s.messages))}`);
    console.log(`  SELECT ms      ${summary(p.selects.map((s) => s.end - s.start))}  (${p.selects.filter((s) => s.rows === 0).length} returned no rows)`);
    console.log(`  sendBatch ms   ${summary(p.sends.map((s) => s.end - s.start))}`);
    console.log(`  UPDATE ms      ${summary(p.updates.map((s) => s.end - s.start))}`);
    console.log(`  cycle ms       ${summary(cycles)}  (send start -> next send start)`);
    const busyMs = [...p.selects, ...p.sends, ...p.updates].reduce((a, x) => a + x.end - x.start, 0);
    const spanMs = (p.sends.at(-1)?.end ?? t0) - (p.selects[0]?.start ?? t0);
    console.log(`  relay busy in SELECT/send/UPDATE ${((100 * busyMs) / spanMs).toFixed(0)}% of the run (the rest: waiting for NOTIFY, building messages, event loop)`);
    const windows: string[] = [];
    for (let w = 0; w * 5_000 < lastCommit - t0 + 5_000; w++) {
      const inWindow = p.selects.filter((x) => x.start - t0 >= w * 5_000 && x.start - t0 < (w + 1) * 5_000).map((x) => x.end - x.start).sort((a, b) => a - b);
      if (inWindow.length) windows.push(`${w * 5}-${w * 5 + 5} s: ${pct(inWindow, 50).toFixed(1)}`);
    }
    console.log(`  SELECT p50 by time window: ${windows.join(' | ')}`);
    console.log(`  NOTIFYs received by the relay: ${fmt(p.notifications.length)} (commits: ${fmt(sent)})`);
    console.log(`  relay read plan at mid-run ${await midPlan}`);
    const req = (name: string) => (result.requests[name] ? summary(result.requests[name]) : '(none)');
    console.log('consumer requests (kafkajs REQUEST instrumentation, ms):');
    console.log(`  Fetch          ${req('Fetch')}`);
    console.log(`  OffsetCommit   ${req('OffsetCommit')}`);
    console.log(`  Heartbeat      ${req('Heartbeat')}`);
    console.log(`CPU during the steady phase: ${cpuByProcess(procs0, procs1, procMs, { [process.pid]: 'node (appender+relay)', [child.pid ?? -1]: 'node (consumer)' })}`);
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const all = sorted(lat);
    const relayShare = sorted(part(commitAt, p.ackAt));
    const consumerShare = sorted(part(p.ackAt, receivedAt));
    latencyResult = {
      kind, mode, commitRate: sent / ((lastCommit - t0) / 1000), sent, received: receivedAt.size,
      p50: pct(all, 50), p90: pct(all, 90), p99: pct(all, 99), max: all.at(-1) ?? NaN,
      relayP50: pct(relayShare, 50), relayP99: pct(relayShare, 99), consumerP50: pct(consumerShare, 50), consumerP99: pct(consumerShare, 99),
    };
    console.log(`processes: appender+relay node CPU ${(((cpuProc.user + cpuProc.system) / 1000 / (t1 - t0)) * 100).toFixed(0)}% of a core, event-loop delay p50 ${(loopDelay.percentile(50) / 1e6).toFixed(1)} / p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} / max ${(loopDelay.max / 1e6).toFixed(1)} ms (1 ms sampling); `
      + `consumer node CPU ${result.cpuPct.toFixed(0)}%, loop-delay p99 ${result.loopP99.toFixed(1)} ms; machine CPU ${cpuBusy(cpu0, cpu1)} of ${cpus().length} cores`);
  } finally {
    probe = undefined;
    await cleanupSince(mark);
  }
  return latencyResult!;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  console.log(`outbox bench ${new Date().toISOString()} | node ${process.version} | kafkajs ${require('kafkajs/package.json').version} | brokers ${settings.kafka.brokers.join(',')} | topic partitions ${PARTITIONS} | events partitions ${settings.event_store.partitions} | load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const results: ThroughputResult[] = [];
  if (!has('skip-throughput')) for (const b of BATCH_SIZES) for (const kind of RELAYS) results.push(await throughput(b, kind));
  const latencies: LatencyResult[] = [];
  if (!has('skip-latency')) for (const [kind, mode] of LATENCY_RUNS) latencies.push(await latency(kind, mode));

  console.log(`\n=== summary (load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}) ===`);
  if (results.length) {
    console.log('throughput, events/s:');
    console.log('relay     | batch | relay (from start) | relay (steady) | direct (incl. connect) | direct (steady) | ratio start | ratio steady   [target >= 0.5x]');
    for (const r of results) {
      console.log(`${r.kind.padEnd(9)} | ${String(r.batchSize).padStart(5)} | ${fmt(r.relayTotalRate).padStart(18)} | ${fmt(r.relaySteadyRate).padStart(14)} | ${fmt(r.directTotalRate).padStart(22)} | ${fmt(r.directSteadyRate).padStart(15)} | ${(r.relayTotalRate / r.directTotalRate).toFixed(2).padStart(10)}x | ${(r.relaySteadyRate / r.directSteadyRate).toFixed(2).padStart(11)}x`);
    }
  }
  if (latencies.length) {
    console.log(`commit -> consumer latency, ms, at ${fmt(RATE)} appends/s offered:   [target p50 <= 15, p99 <= 50]`);
    console.log('relay     | consumer        | commits/s | received      |   p50 |   p90 |   p99 |    max | relay share commit->ack p50 / p99 | ack->consumer p50 / p99');
    for (const l of latencies) {
      console.log(`${l.kind.padEnd(9)} | ${l.mode.padEnd(15)} | ${fmt(l.commitRate).padStart(9)} | ${`${fmt(l.received)}/${fmt(l.sent)}`.padStart(13)} | ${l.p50.toFixed(1).padStart(5)} | ${l.p90.toFixed(1).padStart(5)} | ${l.p99.toFixed(1).padStart(5)} | ${l.max.toFixed(1).padStart(6)} | ${`${l.relayP50.toFixed(1)} / ${l.relayP99.toFixed(1)}`.padStart(33)} | ${`${l.consumerP50.toFixed(1)} / ${l.consumerP99.toFixed(1)}`.padStart(23)}`);
    }
  }
}

if (flag('role', 'main') === 'consumer') {
  consumerRole().catch((error) => {
    console.error('consumer child:', error);
    process.exit(1);
  });
} else {
  let exiting = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (exiting) process.exit(130);
      exiting = true;
      console.error(`\n${signal}: cleaning up`);
      cleanupAll().finally(() => process.exit(130));
    });
  }
  main()
    .then(async () => {
      await cleanupAll();
      process.exit(0);
    })
    .catch(async (error) => {
      console.error(error);
      await cleanupAll();
      process.exit(1);
    });
}
