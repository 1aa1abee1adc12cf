/**
 * Event store benchmark: one script, one run, a table of numbers and ratios (no assertions).
 *
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register bench/event-store.bench.ts [flags]
 *
 * Sections (bench/README.md says what each measures):
 *   append     1-event appends on N distinct streams (new, then existing) at each concurrency:
 *              PostgresEventStore (publish true/false), a plain single-row INSERT, Emmett 0.42.0
 *   rehydrate  AggregateRepository.load of a 10,000-event aggregate with/without snapshots vs a 1-event one
 *   readall    catch-up over the global log: store.readAll vs a bare keyset SELECT
 *
 * Everything is created under a fresh prefix (bench_<timestamp>_*: schemas, and databases for
 * Emmett) and dropped at the end, also on failure or Ctrl-C.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Pool, types } from 'pg';
import {
  Aggregate,
  AggregateRepository,
  GENERIC_PLAN_OPTIONS,
  migrateEventStore,
  PostgresEventStore,
  START,
  type DomainEvent,
  type EventSchemas,
  type NewEvent,
} from '@causeway/eventsourcing';

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

const { values: flags } = parseArgs({
  options: {
    url: { type: 'string', default: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/causeway' },
    sections: { type: 'string', default: 'append,rehydrate,readall' },
    streams: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '1,16' },
    events: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '31' },
    'max-run-seconds': { type: 'string', default: '90' },
    rounds: { type: 'string', default: '3' },
    'quiet-timeout': { type: 'string', default: '120' },
    diagnose: { type: 'boolean', default: false },
    'skip-emmett': { type: 'boolean', default: false },
  },
});

const URL_ = flags.url!;
const SECTIONS = new Set(flags.sections!.split(',').map((s) => s.trim()));
const STREAMS = Number(flags.streams);
const CONCURRENCIES = flags.concurrency!.split(',').map(Number);
const LOG_EVENTS = Number(flags.events);
const RUNS = Number(flags.runs);
const MAX_RUN_MS = Number(flags['max-run-seconds']) * 1000;
const DIAGNOSE = flags.diagnose!;
const ROUNDS = Number(flags.rounds);
const QUIET_TIMEOUT_MS = Number(flags['quiet-timeout']) * 1000;
const MAX_INTERFERENCE = 0.1;
const PARTITIONS = 8;

const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
const RUN = `bench_${stamp}`;

const admin = new Pool({ connectionString: URL_, max: 2 });

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

const now = (): bigint => process.hrtime.bigint();
const msSince = (t0: bigint): number => Number(now() - t0) / 1e6;
const log = (...args: unknown[]): void => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...args);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const fmt = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const pct = (x: number): string => (Number.isFinite(x) ? `${Math.round(Math.min(1, x) * 100)}%` : 'n/a');
const ratio = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [line(headers), `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...cells.map(line)].join('\n');
}

function dbUrl(database: string): string {
  const u = new URL(URL_);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A ~500-byte JSON payload (JSON.stringify length exactly `size`). */
function payload(i: number, size = 500): Record<string, unknown> {
  const base = {
    orderId: randomUUID(),
    customerId: randomUUID(),
    currency: 'EUR',
    totalCents: 1000 + (i % 50_000),
    items: [
      { sku: `SKU-${i % 1000}`, quantity: 1 + (i % 3), unitPriceCents: 1999 },
      { sku: `SKU-${(i * 7) % 1000}`, quantity: 1, unitPriceCents: 4599 },
    ],
    shippingAddress: { street: '221B Baker Street', city: 'London', postcode: 'NW1 6XE', country: 'GB' },
    note: '',
  };
  const pad = size - JSON.stringify(base).length;
  base.note = 'x'.repeat(Math.max(0, pad));
  return base;
}

const metadata = () => ({ correlationId: randomUUID(), causationId: randomUUID(), source: 'bench' });

/** The trivial catalogue the brief asks for: no validation, identity upcast, one topic. */
const benchSchemas: EventSchemas = {
  validate: () => undefined,
  upcast: (_type, schemaVersion, data) => ({ schemaVersion, data }),
  currentVersion: () => 1,
  topic: () => 'bench_events',
};


// ---------------------------------------------------------------------------------------------
// Load driver: N operations over `concurrency` workers, latency per operation
// ---------------------------------------------------------------------------------------------

interface LoadResult {
  ops: number;
  wallMs: number;
  perSecond: number;
  p50: number;
  p99: number;
  truncated: boolean;
  /** This process's CPU time (user + system) per operation, µs. */
  clientCpuPerOpUs: number;
  /** Whole machine, all cores: fraction of CPU time not idle during the run (/proc/stat). */
  machineBusy: number;
  /** Fraction of the machine's CPU time used by processes other than this one and PostgreSQL during the run. */
  interference: number;
}

/**
 * CPU ticks used so far by every process except this one and PostgreSQL's (utime + stime +
 * cutime + cstime from /proc/<pid>/stat): another session's build or tests running meanwhile.
 */
function foreignTicks(): number {
  let ticks = 0;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        if (comm === 'postgres') continue;
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      } catch {
        // the process ended meanwhile
      }
    }
  } catch {
    return 0;
  }
  return ticks;
}

/** Starts a measurement window; `end()` gives the machine's busy share and the foreign share of its CPU time. */
function cpuWindow(): { end(): { machineBusy: number; interference: number } } {
  const m0 = cpuTimes();
  const f0 = foreignTicks();
  return {
    end() {
      const m1 = cpuTimes();
      const f1 = foreignTicks();
      return { machineBusy: busyBetween(m0, m1), interference: m1.total > m0.total ? Math.max(0, f1 - f0) / (m1.total - m0.total) : NaN };
    },
  };
}

/** Machine-wide CPU counters from /proc/stat (Linux); zeros elsewhere. */
function cpuTimes(): { busy: number; total: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3] + (fields[4] ?? 0);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}
const busyBetween = (a: { busy: number; total: number }, b: { busy: number; total: number }): number => (b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : NaN);

/**
 * The machine is shared (2 cores): before each measured run, wait (up to --quiet-timeout) until
 * the machine is nearly idle, so another process's build or test run does not land in a number.
 */
let quietWaitMs = 0;
async function waitQuiet(what: string): Promise<void> {
  const started = Date.now();
  try {
    await waitQuietInner(what);
  } finally {
    quietWaitMs += Date.now() - started - 500;
  }
}
async function waitQuietInner(what: string): Promise<void> {
  const deadline = Date.now() + QUIET_TIMEOUT_MS;
  let waited = false;
  for (;;) {
    const w = cpuWindow();
    await new Promise((r) => setTimeout(r, 500));
    const { machineBusy, interference } = w.end();
    const quiet = !(machineBusy > 0.3) && !(interference > 0.05);
    if (quiet) return;
    if (Date.now() > deadline) {
      log(`WARNING: ${what} starts on a busy machine (CPU ${fmt(machineBusy * 100, 0)}% busy, ${fmt(interference * 100, 0)}% by other processes)`);
      return;
    }
    if (!waited) log(`waiting for a quiet machine before ${what} (CPU ${fmt(machineBusy * 100, 0)}% busy, ${fmt(interference * 100, 0)}% by other processes)`);
    waited = true;
  }
}

async function runLoad(count: number, concurrency: number, op: (i: number) => Promise<unknown>, maxMs = MAX_RUN_MS): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  let truncated = false;
  const cpu0 = process.cpuUsage();
  const window = cpuWindow();
  const start = now();
  const deadline = start + BigInt(maxMs) * 1_000_000n;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      if (now() > deadline) {
        truncated = true;
        return;
      }
      const t0 = now();
      await op(i);
      latencies.push(Number(now() - t0) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallMs = msSince(start);
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  return {
    ops: latencies.length,
    wallMs,
    perSecond: latencies.length / (wallMs / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    truncated,
    clientCpuPerOpUs: (cpu.user + cpu.system) / Math.max(1, latencies.length),
    ...window.end(),
  };
}

interface Summary {
  perSecond: number;
  minPerSecond: number;
  maxPerSecond: number;
  p50: number;
  p99: number;
  truncated: boolean;
  clientCpuPerOpUs: number;
  machineBusy: number;
  interference: number;
}

/** Median over rounds of each figure. */
function summarize(results: LoadResult[]): Summary {
  const rates = results.map((r) => r.perSecond);
  return {
    perSecond: median(rates),
    minPerSecond: Math.min(...rates),
    maxPerSecond: Math.max(...rates),
    p50: median(results.map((r) => r.p50)),
    p99: median(results.map((r) => r.p99)),
    truncated: results.some((r) => r.truncated),
    clientCpuPerOpUs: median(results.map((r) => r.clientCpuPerOpUs)),
    machineBusy: median(results.map((r) => r.machineBusy)),
    interference: Math.max(...results.map((r) => r.interference)),
  };
}

// ---------------------------------------------------------------------------------------------
// 1. Append throughput
// ---------------------------------------------------------------------------------------------

interface Item {
  id: string;
  eventIdNew: string;
  eventIdExisting: string;
  dataNew: Record<string, unknown>;
  dataExisting: Record<string, unknown>;
  meta: ReturnType<typeof metadata>;
}

function makeItems(n: number, offset: number): Item[] {
  return Array.from({ length: n }, (_, k) => ({
    id: randomUUID(),
    eventIdNew: randomUUID(),
    eventIdExisting: randomUUID(),
    dataNew: payload(offset + k),
    dataExisting: payload(offset + k + 1),
    meta: metadata(),
  }));
}

/** One system under test at one concurrency: fresh tables, its own pool of `concurrency` connections. */
interface AppendTarget {
  /** Append version 1 of a new stream. */
  appendNew(item: Item): Promise<unknown>;
  /** Append version 2 to a stream that has version 1. */
  appendExisting(item: Item): Promise<unknown>;
  close(): Promise<void>;
}

interface Variant {
  key: string;
  label: string;
  diagnostic?: boolean;
  setup(concurrency: number, tag: string): Promise<AppendTarget>;
}

const EVENT_TYPE = 'OrderPlaced';
const AGGREGATE_TYPE = 'Order';

function newEvent(eventId: string, data: Record<string, unknown>, meta: Item['meta']): NewEvent {
  return { eventId, eventType: EVENT_TYPE, schemaVersion: 1, data, metadata: meta };
}

/** Pools are named (application_name) so --diagnose can sample their backends' wait events. */
const benchPool = (tag: string, max: number, connectionString = URL_) => new Pool({ connectionString, max, application_name: tag });

function oursVariant(key: string, label: string, publish: boolean): Variant {
  return {
    key,
    label,
    async setup(concurrency, tag) {
      const pool = benchPool(tag, concurrency);
      await migrateEventStore(pool, { schema: tag, partitions: PARTITIONS });
      const store = new PostgresEventStore(pool, { schema: tag, schemas: benchSchemas });
      return {
        appendNew: (it) => store.append({ aggregateId: it.id, aggregateType: AGGREGATE_TYPE, expectedVersion: 0, publish, events: [newEvent(it.eventIdNew, it.dataNew, it.meta)] }),
        appendExisting: (it) =>
          store.append({ aggregateId: it.id, aggregateType: AGGREGATE_TYPE, expectedVersion: 1, publish, events: [newEvent(it.eventIdExisting, it.dataExisting, it.meta)] }),
        close: () => pool.end(),
      };
    },
  };
}

/**
 * The floor: the same row, one single-row INSERT, autocommit. `shape`:
 *  - 'bare': same columns/defaults, same PK (aggregate_id, version) and UNIQUE (aggregate_id, event_id); not partitioned, no other index
 *  - 'indexed': bare + the store's three secondary indexes; not partitioned (diagnostic)
 *  - 'store-table': the store's own events table (8 hash partitions, all indexes) via migrateEventStore (diagnostic)
 */
function plainVariant(key: string, label: string, shape: 'bare' | 'indexed' | 'store-table', diagnostic = false): Variant {
  return {
    key,
    label,
    diagnostic,
    async setup(concurrency, tag) {
      const pool = benchPool(tag, concurrency);
      if (shape === 'store-table') {
        await migrateEventStore(pool, { schema: tag, partitions: PARTITIONS });
      } else {
        await admin.query(`CREATE SCHEMA ${tag}`);
        await pool.query(`
          CREATE SEQUENCE ${tag}.events_position_seq AS bigint;
          CREATE TABLE ${tag}.events (
            global_position bigint      NOT NULL DEFAULT nextval('${tag}.events_position_seq'),
            aggregate_id    uuid        NOT NULL,
            version         integer     NOT NULL CHECK (version > 0),
            event_id        uuid        NOT NULL,
            event_type      text        NOT NULL,
            aggregate_type  text        NOT NULL,
            schema_version  integer     NOT NULL,
            data            jsonb       NOT NULL,
            metadata        jsonb       NOT NULL,
            occurred_at     timestamptz NOT NULL,
            transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
            PRIMARY KEY (aggregate_id, version),
            UNIQUE (aggregate_id, event_id)
          );`);
        if (shape === 'indexed') {
          await pool.query(`
            CREATE INDEX ON ${tag}.events (transaction_id, global_position);
            CREATE INDEX ON ${tag}.events ((metadata->>'correlationId'));
            CREATE INDEX ON ${tag}.events (event_type, global_position);`);
        }
      }
      const sql = `INSERT INTO ${tag}.events (aggregate_id, version, event_id, event_type, aggregate_type, schema_version, data, metadata, occurred_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING global_position`;
      const insert = (it: Item, version: number, eventId: string, data: Record<string, unknown>) =>
        pool.query(sql, [it.id, version, eventId, EVENT_TYPE, AGGREGATE_TYPE, 1, JSON.stringify(data), JSON.stringify(it.meta), new Date().toISOString()]);
      return {
        appendNew: (it) => insert(it, 1, it.eventIdNew, it.dataNew),
        appendExisting: (it) => insert(it, 2, it.eventIdExisting, it.dataExisting),
        close: () => pool.end(),
      };
    },
  };
}

/**
 * Emmett 0.42.0 (@event-driven-io/emmett-postgresql). It keeps its tables in the database's
 * search_path (public), so each run gets its own database on the same server. Loaded lazily.
 * Its driver layer (dumbo) replaces pg's GLOBAL type parsers for int8/json/jsonb (once per
 * process) when its first pool is made: Emmett runs get Emmett's parsers, every other run gets
 * pg's defaults (swapped around each Emmett run).
 */
type ParserSet = (readonly [number, (value: string) => unknown])[];
const PARSER_OIDS = [20, 114, 3802];
const snapshotParsers = (): ParserSet => PARSER_OIDS.map((oid) => [oid, types.getTypeParser(oid, 'text')] as const);
const applyParsers = (set: ParserSet) => set.forEach(([oid, parser]) => types.setTypeParser(oid, 'text', parser));
const defaultParsers = snapshotParsers();
let emmettParsers: ParserSet | undefined;

function emmettVariant(): Variant {
  return {
    key: 'emmett',
    label: 'Emmett 0.42.0 appendToStream',
    async setup(concurrency, tag) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { getPostgreSQLEventStore } = require('@event-driven-io/emmett-postgresql') as typeof import('@event-driven-io/emmett-postgresql');
      await admin.query(`CREATE DATABASE ${tag}`);
      const connectionString = dbUrl(tag);
      const pool = benchPool(tag, concurrency, connectionString);
      if (emmettParsers) applyParsers(emmettParsers);
      const es = getPostgreSQLEventStore(connectionString, { connectionOptions: { pool } });
      emmettParsers ??= snapshotParsers();
      await es.schema.migrate(); // schema created before timing
      const event = (data: Record<string, unknown>, meta: Item['meta']) => ({ type: EVENT_TYPE, data, metadata: meta });
      return {
        appendNew: (it) => es.appendToStream(`order-${it.id}`, [event(it.dataNew, it.meta)], { expectedStreamVersion: 0n }),
        appendExisting: (it) => es.appendToStream(`order-${it.id}`, [event(it.dataExisting, it.meta)], { expectedStreamVersion: 1n }),
        close: async () => {
          try {
            await es.close();
            await pool.end();
          } finally {
            applyParsers(defaultParsers);
          }
        },
      };
    },
  };
}

/** Samples what the variant's backends are doing (pg_stat_activity, every 20 ms) while a run lasts. */
function waitSampler(tag: string): { stop(): Promise<Map<string, number>> } {
  const counts = new Map<string, number>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await admin.query<{ w: string; n: number }>(
        `SELECT coalesce(wait_event_type || ':' || wait_event, 'on CPU') AS w, count(*)::int AS n
         FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' GROUP BY 1`,
        [tag],
      );
      for (const r of rows) counts.set(r.w, (counts.get(r.w) ?? 0) + r.n);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return counts;
    },
  };
}

interface AppendRun {
  variant: Variant;
  concurrency: number;
  round: number;
  fresh: LoadResult;
  existing: LoadResult;
  waits?: Map<string, number>;
}

async function benchAppendVariant(variant: Variant, concurrency: number, round: number, attempt = 1): Promise<AppendRun> {
  const tag = `${RUN}_${variant.key}_c${concurrency}_r${round}${attempt > 1 ? `_a${attempt}` : ''}`;
  const target = await variant.setup(concurrency, tag);
  let run: AppendRun;
  try {
    // Warm-up: opens every pooled connection, warms catalog/plan caches; separate streams, not measured.
    const warm = makeItems(Math.max(300, 60 * concurrency), 0);
    await runLoad(warm.length, concurrency, (i) => target.appendNew(warm[i]));
    await runLoad(warm.length, concurrency, (i) => target.appendExisting(warm[i]));
    const items = makeItems(STREAMS, 1_000_000);
    await admin.query('CHECKPOINT');
    await waitQuiet(`${variant.key} c=${concurrency}`);
    const sampler = DIAGNOSE ? waitSampler(tag) : undefined;
    const fresh = await runLoad(items.length, concurrency, (i) => target.appendNew(items[i]));
    const waits = await sampler?.stop();
    await admin.query('CHECKPOINT');
    await waitQuiet(`${variant.key} c=${concurrency} existing`);
    const existing = await runLoad(fresh.ops, concurrency, (i) => target.appendExisting(items[i]));
    log(
      `append r${round}${attempt > 1 ? ` attempt ${attempt}` : ''} ${variant.key} c=${concurrency}: new ${fmtInt(fresh.perSecond)}/s p50 ${fmt(fresh.p50)} p99 ${fmt(fresh.p99)}` +
        ` | existing ${fmtInt(existing.perSecond)}/s p50 ${fmt(existing.p50)} p99 ${fmt(existing.p99)}` +
        ` | cpu ${fmt(fresh.machineBusy * 100, 0)}%, other processes ${fmt(Math.max(fresh.interference, existing.interference) * 100, 0)}%`,
    );
    run = { variant, concurrency, round, fresh, existing, waits };
  } finally {
    await target.close();
  }
  // Another process took a real share of the CPU during the run: measure again (twice at most).
  if (Math.max(run.fresh.interference, run.existing.interference) > MAX_INTERFERENCE && attempt < 3) {
    log(`  -> other processes used > ${MAX_INTERFERENCE * 100}% of the CPU during that run; repeating it`);
    return benchAppendVariant(variant, concurrency, round, attempt + 1);
  }
  return run;
}

async function sectionAppend(out: string[]): Promise<void> {
  const variants: Variant[] = [
    plainVariant('plain', 'plain INSERT (same columns, PK, UNIQUE; unpartitioned, no other index)', 'bare'),
    oursVariant('ours_pub', 'PostgresEventStore publish:true (events + outbox row)', true),
    oursVariant('ours_nopub', 'PostgresEventStore publish:false (events only)', false),
  ];
  if (DIAGNOSE) {
    variants.push(
      plainVariant('plain_idx', '[diag] plain INSERT, + the store\'s 3 secondary indexes, unpartitioned', 'indexed', true),
      plainVariant('plain_store', '[diag] plain INSERT into the store\'s own table (8 partitions, all indexes)', 'store-table', true),
    );
  }
  if (!flags['skip-emmett']) variants.push(emmettVariant());

  // Rounds interleave the variants so drift (autovacuum, checkpoints, other load) is shared; medians are reported.
  const runs: AppendRun[] = [];
  for (let round = 1; round <= ROUNDS; round++) for (const c of CONCURRENCIES) for (const v of variants) runs.push(await benchAppendVariant(v, c, round));

  type Agg = { variant: Variant; concurrency: number; fresh: Summary; existing: Summary; runs: AppendRun[] };
  const aggs: Agg[] = [];
  for (const c of CONCURRENCIES) {
    for (const v of variants) {
      const mine = runs.filter((r) => r.variant === v && r.concurrency === c);
      aggs.push({ variant: v, concurrency: c, fresh: summarize(mine.map((r) => r.fresh)), existing: summarize(mine.map((r) => r.existing)), runs: mine });
    }
  }

  out.push(`## 1. Append: 1-event appends, ${fmtInt(STREAMS)} streams per run, ~500-byte payload, pg Pool max = concurrency, median of ${ROUNDS} interleaved round(s)\n`);
  out.push('"new" = version 1 of a new stream (expectedVersion 0); "existing" = version 2 of the same streams (expectedVersion 1). "other CPU" = the largest share of the machine\'s CPU used by processes other than this script and PostgreSQL during a kept run (runs above 10% are repeated, at most twice).\n');
  out.push(
    table(
      ['variant', 'conc', 'new: events/s', '(min–max)', 'new: p50 ms', 'new: p99 ms', 'existing: events/s', 'existing: p50 ms', 'existing: p99 ms', 'other CPU'],
      aggs.map((a) => [
        a.variant.label,
        a.concurrency,
        fmtInt(a.fresh.perSecond) + (a.fresh.truncated ? ' (time cap hit)' : ''),
        `${fmtInt(a.fresh.minPerSecond)}–${fmtInt(a.fresh.maxPerSecond)}`,
        fmt(a.fresh.p50),
        fmt(a.fresh.p99),
        fmtInt(a.existing.perSecond) + (a.existing.truncated ? ' (time cap hit)' : ''),
        fmt(a.existing.p50),
        fmt(a.existing.p99),
        pct(Math.max(a.fresh.interference, a.existing.interference)),
      ]),
    ),
  );
  const get = (key: string, c: number) => aggs.find((a) => a.variant.key === key && a.concurrency === c);
  const ratioRows: string[][] = [];
  for (const c of CONCURRENCIES) {
    const plain = get('plain', c);
    const emmett = get('emmett', c);
    for (const a of aggs.filter((x) => x.concurrency === c && (x.variant.key.startsWith('ours') || x.variant.key.startsWith('wi_')))) {
      ratioRows.push([
        `${a.variant.key} c=${c}`,
        ratio(a.fresh.perSecond, plain?.fresh.perSecond ?? NaN),
        ratio(a.fresh.perSecond, emmett?.fresh.perSecond ?? NaN),
        ratio(a.existing.perSecond, plain?.existing.perSecond ?? NaN),
        ratio(a.existing.perSecond, emmett?.existing.perSecond ?? NaN),
      ]);
    }
  }
  out.push('\nThroughput ratios (targets at c=16 for ours_pub, the way services append: ≥ 0.70× plain INSERT, ≥ 1.50× Emmett)\n');
  out.push(table(['ours', 'new: ours/plain', 'new: ours/emmett', 'existing: ours/plain', 'existing: ours/emmett'], ratioRows));

  if (DIAGNOSE) {
    out.push('\n[diag] Where the time goes during the "new streams" runs: client CPU per append, machine CPU busy (2 cores), and the backends\' wait events (pg_stat_activity sampled every 20 ms; share of active-backend samples)\n');
    out.push(
      table(
        ['variant', 'conc', 'node CPU µs/append', 'machine CPU busy', 'top backend states'],
        aggs.map((a) => {
          const waits = new Map<string, number>();
          for (const r of a.runs) for (const [w, n] of r.waits ?? []) waits.set(w, (waits.get(w) ?? 0) + n);
          const total = [...waits.values()].reduce((x, y) => x + y, 0);
          const top = [...waits.entries()].sort((x, y) => y[1] - x[1]).slice(0, 4).map(([w, n]) => `${w} ${fmt((100 * n) / total, 0)}%`).join(', ');
          return [a.variant.label, a.concurrency, fmt(a.fresh.clientCpuPerOpUs, 0), pct(a.fresh.machineBusy), top || 'n/a'];
        }),
      ),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Rehydration
// ---------------------------------------------------------------------------------------------

type NoteCommand = { type: 'AddNote'; text: string; payload: Record<string, unknown> };
type NoteEvent = DomainEvent<'Noted', { text: string; payload: Record<string, unknown> }>;
interface NoteState {
  count: number;
  lastText: string | null;
  recentSkus: string[];
}

/** The bench's aggregate (after the Notebook of aggregate-repository.spec.ts): counts notes, keeps a little state. */
class Notebook extends Aggregate<NoteState, NoteCommand, NoteEvent> {
  readonly aggregateType = 'Notebook';
  protected initialState(): NoteState {
    return { count: 0, lastText: null, recentSkus: [] };
  }
  protected handle(command: NoteCommand): NoteEvent[] {
    return [{ type: 'Noted', data: { text: command.text, payload: command.payload } }];
  }
  protected apply(state: NoteState, event: NoteEvent): NoteState {
    const items = (event.data.payload['items'] as { sku: string }[] | undefined) ?? [];
    return { count: state.count + 1, lastText: event.data.text, recentSkus: [...items.map((i) => i.sku), ...state.recentSkus].slice(0, 10) };
  }
}

async function sectionRehydrate(out: string[]): Promise<void> {
  const schema = `${RUN}_rehydrate`;
  // Connected as the services' pools are (libs/service-runtime): their reads run on generic plans.
  const pool = new Pool({ connectionString: URL_, max: 4, options: GENERIC_PLAN_OPTIONS });
  try {
    await migrateEventStore(pool, { schema, partitions: PARTITIONS });
    const store = new PostgresEventStore(pool, { schema, schemas: benchSchemas });
    // The interval config/causeway.tsk ships with (event_store.snapshot_interval).
    const INTERVAL = 25;
    const withSnapshots = new AggregateRepository(store, (id) => new Notebook(id), { schemas: benchSchemas, snapshotInterval: INTERVAL });
    const noSnapshots = new AggregateRepository(store, (id) => new Notebook(id), { schemas: benchSchemas, snapshotInterval: 1_000_000_000 });
    const context = { correlationId: randomUUID(), causationId: randomUUID(), source: 'bench' };
    const N = 10_000;

    /** Writes `total` events through `repo` in saves of the given sizes (the last size repeats). */
    const build = async (repo: AggregateRepository<Notebook>, id: string, sizes: number[], total: number, from = 0) => {
      const notebook = from === 0 ? new Notebook(id) : await repo.load(id);
      let written = from;
      let s = 0;
      while (written < total) {
        const size = Math.min(sizes[Math.min(s++, sizes.length - 1)], total - written);
        for (let k = 0; k < size; k++) notebook.execute({ type: 'AddNote', text: `note ${written + k}`, payload: payload(written + k, 400) });
        await repo.save(notebook, context);
        written += size;
      }
    };

    const t0 = now();
    const oneEvent = randomUUID();
    await build(withSnapshots, oneEvent, [1], 1);
    const plain10k = randomUUID(); // never snapshotted
    await build(noSnapshots, plain10k, [100], N);
    // A snapshot at N - trailing: the first save is (INTERVAL - trailing) events, then saves of
    // INTERVAL each cross a multiple of it (snapshot); the last `trailing` events are saved
    // through the no-snapshot repository, as if the next snapshot were not due yet.
    const TRAILING = [0, Math.floor(INTERVAL / 2), INTERVAL - 1];
    const snapshotted: Record<number, string> = {};
    for (const trailing of TRAILING) {
      const id = randomUUID();
      await build(withSnapshots, id, [INTERVAL - trailing, INTERVAL], N - trailing);
      if (trailing > 0) await build(noSnapshots, id, [trailing], N, N - trailing);
      snapshotted[trailing] = id;
    }
    await pool.query(`VACUUM ANALYZE ${schema}.events, ${schema}.snapshots`);
    log(`rehydrate: wrote ${fmtInt((2 + TRAILING.length) * N + 1)} events in ${fmt(msSince(t0) / 1000, 1)} s`);

    /**
     * [what-if] the same load reading only what replay uses (version, event_type, schema_version,
     * data) instead of all 11 columns: no metadata/occurred_at/ids/transaction_id decoding.
     */
    const leanLoad = async (id: string): Promise<Notebook> => {
      const notebook = new Notebook(id);
      const snapshot = await store.loadSnapshot(id);
      let after = 0;
      if (snapshot && snapshot.schemaVersion === notebook.snapshotSchemaVersion && snapshot.aggregateType === notebook.aggregateType) {
        notebook.restoreSnapshot(snapshot.state as NoteState, snapshot.version);
        after = snapshot.version;
      }
      const { rows } = await pool.query<{ version: number; event_type: string; schema_version: number; data: Record<string, unknown> }>(
        `SELECT version, event_type, schema_version, data FROM ${schema}.events WHERE aggregate_id = $1 AND version > $2 ORDER BY version`,
        [id, after],
      );
      notebook.replay(rows.map((r) => ({ type: r.event_type, data: benchSchemas.upcast(r.event_type, r.schema_version, r.data).data, version: r.version })));
      return notebook;
    };

    const snapshotOf = async (id: string) => (await store.loadSnapshot(id))?.version ?? 0;
    const cases: { label: string; load: () => Promise<Notebook>; expect: number }[] = [
      { label: '1-event stream (no snapshot)', load: () => withSnapshots.load(oneEvent), expect: 1 },
      { label: '10,000 events, no snapshot (interval 1e9)', load: () => noSnapshots.load(plain10k), expect: N },
    ];
    const notes: Record<number, string> = { [TRAILING[0]]: 'best case', [TRAILING[1]]: `average at interval ${INTERVAL}`, [TRAILING[2]]: `worst case at interval ${INTERVAL}` };
    for (const trailing of TRAILING) {
      const id = snapshotted[trailing];
      cases.push({ label: `10,000 events, snapshot @${fmtInt(await snapshotOf(id))} + ${trailing} events (${notes[trailing]})`, load: () => withSnapshots.load(id), expect: N });
    }
    if (DIAGNOSE) {
      cases.push(
        { label: '[what-if] 1-event stream, replay columns only', load: () => leanLoad(oneEvent), expect: 1 },
        { label: `[what-if] snapshot + ${TRAILING[2]} events, replay columns only`, load: () => leanLoad(snapshotted[TRAILING[2]]), expect: N },
      );
    }
    const results: { label: string; median: number; p90: number; min: number; interference: number }[] = [];
    for (const c of cases) {
      for (let w = 0; w < 3; w++) await c.load(); // warm-up
      await waitQuiet(`rehydrate ${c.label}`);
      const window = cpuWindow();
      const times: number[] = [];
      const deadline = now() + BigInt(MAX_RUN_MS) * 1_000_000n;
      for (let r = 0; r < RUNS && now() < deadline; r++) {
        const t = now();
        const loaded = await c.load();
        times.push(msSince(t));
        if (loaded.version !== c.expect) throw new Error(`${c.label}: loaded version ${loaded.version}, expected ${c.expect}`);
      }
      const sorted = [...times].sort((a, b) => a - b);
      results.push({ label: c.label, median: median(times), p90: percentile(sorted, 90), min: sorted[0], interference: window.end().interference });
      log(`rehydrate ${c.label}: median ${fmt(median(times))} ms over ${times.length} runs`);
    }
    const base = results[0].median;
    out.push(`\n## 2. Rehydration: AggregateRepository.load, median of ${RUNS} runs after 3 warm-up loads (~400-byte events)\n`);
    out.push(
      table(
        ['aggregate', 'median ms', 'p90 ms', 'min ms', 'median vs 1-event stream', 'other CPU'],
        results.map((r) => [r.label, fmt(r.median), fmt(r.p90), fmt(r.min), ratio(r.median, base), pct(r.interference)]),
      ),
    );
    out.push('\nTarget: 10,000 events with snapshots within 2.00× of a 1-event stream. Snapshot state is small ({ count, lastText, 10 SKUs }).');
  } finally {
    await pool.end();
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Read-all catch-up
// ---------------------------------------------------------------------------------------------

async function sectionReadAll(out: string[]): Promise<void> {
  const schema = `${RUN}_readall`;
  const pool = new Pool({ connectionString: URL_, max: 2 });
  try {
    await migrateEventStore(pool, { schema, partitions: PARTITIONS });
    const store = new PostgresEventStore(pool, { schema, schemas: benchSchemas });

    // Fill: LOG_EVENTS rows, aggregates of 10 events, 200-500 byte data, in 10 transactions
    // (10 distinct transaction_ids), positions in insertion order.
    const chunks = 10;
    const per = Math.ceil(LOG_EVENTS / chunks);
    const t0 = now();
    for (let c = 0; c < chunks; c++) {
      const from = c * per + 1;
      const to = Math.min(LOG_EVENTS, (c + 1) * per);
      if (from > to) break;
      await pool.query(
        `INSERT INTO ${schema}.events (aggregate_id, version, event_id, event_type, aggregate_type, schema_version, data, metadata, occurred_at)
         SELECT md5('agg' || ((g - 1) / 10))::uuid, ((g - 1) % 10) + 1, gen_random_uuid(), 'OrderPlaced', 'Order', 1,
                jsonb_build_object(
                  'orderId', md5('order' || g)::uuid, 'customerId', md5('customer' || (g % 5000))::uuid,
                  'currency', 'EUR', 'totalCents', 1000 + g % 50000,
                  'items', jsonb_build_array(jsonb_build_object('sku', 'SKU-' || (g % 1000), 'quantity', 1 + g % 3, 'unitPriceCents', 1999)),
                  'note', repeat('x', (20 + (g::bigint * 7919) % 300)::int)),
                jsonb_build_object('correlationId', md5('corr' || g)::uuid, 'causationId', md5('cause' || g)::uuid, 'source', 'bench'),
                now() - make_interval(secs => $3::int - g)
         FROM generate_series($1::int, $2::int) AS g`,
        [from, to, LOG_EVENTS],
      );
    }
    const fillS = msSince(t0) / 1000;
    // The baseline pages by global_position alone, which the store does not index (it pages by
    // (transaction_id, global_position)); without this index it would be a sort of the whole table per page.
    await pool.query(`CREATE INDEX events_position_only_idx ON ${schema}.events (global_position)`);
    await pool.query(`VACUUM ANALYZE ${schema}.events`);
    const size = await pool.query<{ n: string; avg: string; total: string }>(
      `SELECT count(*) AS n, avg(pg_column_size(data))::int AS avg, pg_size_pretty(pg_total_relation_size('${schema}.events_p0') * ${PARTITIONS}) AS total FROM ${schema}.events`,
    );
    log(`readall: inserted ${fmtInt(LOG_EVENTS)} events in ${fmt(fillS, 1)} s (+ index, vacuum analyze in ${fmt(msSince(t0) / 1000 - fillS, 1)} s); avg data ${size.rows[0].avg} bytes, ~${size.rows[0].total}`);

    const BATCH = 1000;
    const ours = async (limitEvents = Infinity) => {
      let checkpoint = START;
      let n = 0;
      let sink = 0;
      const start = now();
      const deadline = start + BigInt(MAX_RUN_MS) * 1_000_000n;
      while (n < limitEvents && now() < deadline) {
        const { events, checkpoint: next } = await store.readAll(checkpoint, BATCH);
        if (events.length === 0) break;
        n += events.length;
        sink += events[events.length - 1].version;
        checkpoint = next;
      }
      return { n, ms: msSince(start), sink };
    };
    const bareSql = `SELECT global_position, aggregate_id, version, event_id, event_type, aggregate_type, schema_version, data, metadata, occurred_at, transaction_id
                     FROM ${schema}.events WHERE global_position > $1 ORDER BY global_position LIMIT $2`;
    const bare = async (limitEvents = Infinity) => {
      let position = '0';
      let n = 0;
      let sink = 0;
      const start = now();
      const deadline = start + BigInt(MAX_RUN_MS) * 1_000_000n;
      while (n < limitEvents && now() < deadline) {
        const { rows } = await pool.query(bareSql, [position, BATCH]);
        if (rows.length === 0) break;
        // minimal mapping: what a consumer needs
        const mapped = rows.map((r) => ({ position: BigInt(r.global_position), aggregateId: r.aggregate_id as string, version: r.version as number, eventType: r.event_type as string, data: r.data, metadata: r.metadata }));
        n += mapped.length;
        sink += mapped[mapped.length - 1].version;
        position = rows[rows.length - 1].global_position;
      }
      return { n, ms: msSince(start), sink };
    };

    await bare(50_000); // warm-up
    await ours(50_000);
    const runs: { who: 'ours' | 'bare'; n: number; ms: number; interference: number }[] = [];
    for (let round = 0; round < 2; round++) {
      for (const [who, fn] of [['bare', bare], ['ours', ours]] as const) {
        await waitQuiet(`readall ${who}`);
        const window = cpuWindow();
        const r = await fn();
        const { interference } = window.end();
        runs.push({ who, n: r.n, ms: r.ms, interference });
        log(`readall ${who} round ${round + 1}: ${fmtInt(r.n)} events in ${fmt(r.ms / 1000, 2)} s = ${fmtInt(r.n / (r.ms / 1000))}/s (other processes ${fmt(interference * 100, 0)}% CPU)`);
      }
    }
    const best = (who: 'ours' | 'bare') => runs.filter((r) => r.who === who).reduce((a, b) => (b.n / b.ms > a.n / a.ms ? b : a));
    const o = best('ours');
    const b = best('bare');
    const rate = (r: { n: number; ms: number }) => r.n / (r.ms / 1000);
    out.push(`\n## 3. Read-all catch-up: ${fmtInt(LOG_EVENTS)} events (avg data ${size.rows[0].avg} bytes), batches of ${BATCH}, best of 2 passes\n`);
    out.push(
      table(
        ['reader', 'events read', 'seconds', 'events/s', 'all passes (events/s)', 'other CPU (max)'],
        [
          ['bare keyset SELECT (WHERE global_position > $1 ORDER BY global_position LIMIT 1000)', fmtInt(b.n), fmt(b.ms / 1000), fmtInt(rate(b)), runs.filter((r) => r.who === 'bare').map((r) => fmtInt(rate(r))).join(', '), pct(Math.max(...runs.filter((r) => r.who === 'bare').map((r) => r.interference)))],
          ['PostgresEventStore.readAll(checkpoint, 1000)', fmtInt(o.n), fmt(o.ms / 1000), fmtInt(rate(o)), runs.filter((r) => r.who === 'ours').map((r) => fmtInt(rate(r))).join(', '), pct(Math.max(...runs.filter((r) => r.who === 'ours').map((r) => r.interference)))],
        ],
      ),
    );
    out.push(`\nRatio ours/bare: ${ratio(rate(o), rate(b))} (target ≥ 0.50×)${o.n !== LOG_EVENTS ? `  NOTE: readAll returned ${o.n} of ${LOG_EVENTS} events (time cap, or an older open transaction held events back)` : ''}`);
  } finally {
    await pool.end();
  }
}

// ---------------------------------------------------------------------------------------------
// 4. (--diagnose) EXPLAIN ANALYZE of the append statement, custom vs generic plans
// ---------------------------------------------------------------------------------------------

/**
 * The store sends its append as an unnamed statement: PostgreSQL parses and plans it on every
 * call. This runs the store's exact SQL as PREPARE + EXPLAIN (ANALYZE, BUFFERS, WAL) EXECUTE, 8
 * times per case, inside rolled-back transactions: the first 5 executions are custom plans (what
 * the store gets every time), later ones may switch to a cached generic plan.
 */
async function sectionExplain(out: string[]): Promise<void> {
  const schema = `${RUN}_explain`;
  const pool = new Pool({ connectionString: URL_, max: 1 });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { prepareValue, escapeLiteral } = require('pg/lib/utils') as { prepareValue(v: unknown): string; escapeLiteral(v: string): string };
  try {
    await migrateEventStore(pool, { schema, partitions: PARTITIONS });
    const store = new PostgresEventStore(pool, { schema, schemas: benchSchemas });
    const existing = makeItems(2000, 0);
    for (const it of existing) await store.append({ aggregateId: it.id, aggregateType: AGGREGATE_TYPE, expectedVersion: 0, events: [newEvent(it.eventIdNew, it.dataNew, it.meta)] });
    await pool.query(`VACUUM ANALYZE ${schema}.events, ${schema}.outbox`);
    // The store's own 1-event append statement (the fast path every 1-event command takes).
    const appendSql = (store as unknown as { statements: { one: { publish: { text: string } } } }).statements.one.publish.text;
    const plainSql = `INSERT INTO ${schema}.events (aggregate_id, version, event_id, event_type, aggregate_type, schema_version, data, metadata, occurred_at)
                      VALUES ($1::uuid, $2::int, $3::uuid, $4::text, $5::text, $6::int, $7::jsonb, $8::jsonb, $9::timestamptz) RETURNING global_position`;
    const lit = (v: unknown) => escapeLiteral(prepareValue(v));
    const client = await pool.connect();
    const rows: string[][] = [];
    let sample = '';
    try {
      await client.query(`PREPARE store_append AS ${appendSql}`);
      await client.query(`PREPARE plain_insert AS ${plainSql}`);
      const cases = [
        { label: 'store append, new stream', stmt: 'store_append', args: (it: Item) => [randomUUID(), AGGREGATE_TYPE, 0, randomUUID(), EVENT_TYPE, 1, JSON.stringify(it.dataNew), JSON.stringify(it.meta), new Date().toISOString(), 'bench_events'] },
        { label: 'store append, existing stream', stmt: 'store_append', args: (it: Item) => [it.id, AGGREGATE_TYPE, 1, randomUUID(), EVENT_TYPE, 1, JSON.stringify(it.dataExisting), JSON.stringify(it.meta), new Date().toISOString(), 'bench_events'] },
        { label: 'plain INSERT into the same table', stmt: 'plain_insert', args: (it: Item) => [randomUUID(), 1, randomUUID(), EVENT_TYPE, AGGREGATE_TYPE, 1, JSON.stringify(it.dataNew), JSON.stringify(it.meta), new Date().toISOString()] },
      ];
      for (const c of cases) {
        for (let k = 0; k < 8; k++) {
          const it = existing[100 + k];
          await client.query('BEGIN');
          const plan = await client
            .query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, WAL) EXECUTE ${c.stmt}(${c.args(it).map(lit).join(', ')})`)
            .finally(() => client.query('ROLLBACK'));
          const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
          if (k === 0 && c.stmt === 'store_append' && !sample) sample = text;
          const planning = /Planning Time: ([\d.]+)/.exec(text)?.[1] ?? '0';
          const execution = /Execution Time: ([\d.]+)/.exec(text)?.[1] ?? 'n/a';
          const kind = c.stmt === 'plain_insert' ? 'n/a' : /\$\d/.test(text) ? 'generic' : 'custom';
          rows.push([c.label, String(k + 1), kind, planning, execution]);
        }
      }
    } finally {
      client.release();
    }
    out.push('\n## 4. [diag] EXPLAIN (ANALYZE, BUFFERS, WAL) of the append statement (PREPARE + EXECUTE; 2,000 events in the table; rolled back)\n');
    out.push(table(['statement', 'execution #', 'plan', 'planning ms', 'execution ms'], rows));
    out.push('\nFirst custom plan of the store append (new stream):\n');
    out.push('```\n' + sample + '\n```');
  } finally {
    await pool.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Main + cleanup
// ---------------------------------------------------------------------------------------------

let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  const c = new Pool({ connectionString: URL_, max: 1 });
  try {
    const schemas = await c.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`, [`${RUN}\\_%`]);
    for (const { nspname } of schemas.rows) await c.query(`DROP SCHEMA ${nspname} CASCADE`);
    const dbs = await c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${RUN}\\_%`]);
    for (const { datname } of dbs.rows) await c.query(`DROP DATABASE ${datname} WITH (FORCE)`);
    log(`cleanup: dropped ${schemas.rowCount} schema(s) and ${dbs.rowCount} database(s) with prefix ${RUN}_`);
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  const started = now();
  const version = (await admin.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0].v;
  const settings = await admin.query<{ name: string; setting: string }>(
    `SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name IN ('shared_buffers', 'synchronous_commit', 'fsync', 'wal_sync_method', 'max_wal_size') ORDER BY name`,
  );
  const out: string[] = [
    `# Event store benchmark (${new Date().toISOString()})`,
    '',
    `PostgreSQL ${version} (${settings.rows.map((r) => `${r.name}=${r.setting}`).join(', ')}); Node ${process.version}; ${cpus().length} CPUs; load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}; prefix ${RUN}`,
    `Flags: streams=${STREAMS} concurrency=${CONCURRENCIES.join(',')} rounds=${ROUNDS} events=${LOG_EVENTS} runs=${RUNS} sections=${[...SECTIONS].join(',')} diagnose=${DIAGNOSE}`,
    '',
  ];
  try {
    // Each section's tables are printed as soon as it ends, so a later failure loses nothing.
    const flush = () => console.log(out.splice(0).join('\n'));
    flush();
    if (SECTIONS.has('append')) {
      await sectionAppend(out);
      flush();
    }
    if (SECTIONS.has('rehydrate')) {
      await sectionRehydrate(out);
      flush();
    }
    if (SECTIONS.has('readall')) {
      await sectionReadAll(out);
      flush();
    }
    if (SECTIONS.has('explain') || (DIAGNOSE && SECTIONS.has('append'))) {
      await sectionExplain(out);
      flush();
    }
    out.push(`\nTotal time: ${fmt(msSince(started) / 1000, 1)} s, of which ${fmt(quietWaitMs / 1000, 1)} s waiting for other processes to quiet down; load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(out.join('\n'));
  } finally {
    await cleanup();
    await admin.end();
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    cleanup()
      .catch((e) => log('cleanup failed', e))
      .finally(() => process.exit(130));
  });
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
