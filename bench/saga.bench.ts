/**
 * Saga benchmark (issue #5): sustained orders/s through the gateway at a fixed concurrency, and
 * place → CONFIRMED latency with how it splits across the hops; beside it, in the same run, a bare
 * two-hop kafkajs consume → produce chain with no database (the plumbing floor). Prints numbers,
 * asserts nothing.
 *
 *   node infra/up.mjs
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register bench/saga.bench.ts [--seconds 60] [--concurrency 32] [--warmup 30]
 *
 * Both sides are closed loops of `concurrency` workers: a worker places an order (POST
 * /api/orders, tok_visa) and waits until OrderConfirmed for it arrives on order_events (a Kafka
 * consumer of the bench's own), then places the next. The floor does the same with a message
 * sent to topic A, forwarded A → B → C by two consume → produce hops (acks=all, like the relay),
 * and received from C.
 *
 * Where the time goes, per confirmed order, from timestamps on one clock (this host):
 *   POST → OrderPlaced stored        the gateway, order-service's command, its commit
 *   → published                      order-service's outbox relay (outbox.published_at)
 *   → PaymentInitiated stored        Kafka + payment-service's consumer and reaction
 *   → PaymentProcessed stored        the charge worker: wake-up, sandbox latency, record
 *   → published                      payment-service's relay
 *   → OrderConfirmed stored          Kafka + order-service's consumer and reaction
 *   → seen by the bench              order-service's relay + Kafka (the observer's own hop)
 */
import { applyKafkajsIdleLoopFix } from '@causeway/messaging';
import { startSagaStack, testSettings, uniqueName, type SagaStack } from '@causeway/testing';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { numberFlag } from './args';
import { allProcessTicks, groupByComm, machineTicks, TICKS_PER_SECOND, type ProcessTicks } from './proc-cpu';

const SECONDS = numberFlag('seconds', 60);
const CONCURRENCY = numberFlag('concurrency', 32);
/**
 * Seconds before the measured window. Long, because "sustained" means steady state: the apps are
 * new processes, and V8 keeps optimizing their hot code for minutes under this load (order-service
 * compiled ~21 functions a second 10 s in, ~4 a second 100 s in; in a window opened 5 s after
 * start, TurboFan's threads took ~20% of each service's CPU). Per-slice rates below show the trend.
 */
const WARMUP = numberFlag('warmup', 30);
/** Completions are also counted per slice of this many seconds of the measured window. */
const SLICE_SECONDS = 10;

// The bench's own clients (observer, floor) run the same kafkajs as the services, patched alike.
applyKafkajsIdleLoopFix();

const settings = testSettings();
const kafka = new Kafka({ clientId: 'saga-bench', brokers: settings.kafka.brokers, logLevel: logLevel.NOTHING });
const now = () => performance.timeOrigin + performance.now();
const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
};
const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1).padStart(7) : '      -');
const bySlice = (rates: number[]) => rates.map((r) => r.toFixed(1)).join(', ');
const stats = (values: number[]) => `p50 ${ms(pct(values, 50))}  p90 ${ms(pct(values, 90))}  p99 ${ms(pct(values, 99))}  max ${ms(Math.max(...values))}  (n=${values.length})`;

/**
 * Runs `concurrency` closed-loop workers for `seconds` (after `warmup`); returns completions in
 * the measured window and their latencies. `window` is told when the measured window opens and closes.
 */
async function closedLoop(one: (worker: number) => Promise<number>, window?: { open(): void; close(): void }): Promise<{ rate: number; latencies: number[]; sliceRates: number[] }> {
  const latencies: number[] = [];
  const perSlice = Array.from({ length: Math.ceil(SECONDS / SLICE_SECONDS) }, () => 0);
  const started = now();
  const measureFrom = started + WARMUP * 1_000;
  const end = measureFrom + SECONDS * 1_000;
  if (window) {
    setTimeout(() => window.open(), WARMUP * 1_000);
    setTimeout(() => window.close(), (WARMUP + SECONDS) * 1_000);
  }
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      while (now() < end) {
        const t0 = now();
        const latency = await one(worker);
        const done = now();
        if (t0 >= measureFrom && done <= end) {
          latencies.push(latency);
          perSlice[Math.floor((done - measureFrom) / (SLICE_SECONDS * 1_000))]++;
        }
      }
    }),
  );
  // Per second; the last slice may be shorter than the others.
  const sliceRates = perSlice.map((n, i) => n / Math.min(SLICE_SECONDS, SECONDS - i * SLICE_SECONDS));
  return { rate: latencies.length / SECONDS, latencies, sliceRates };
}

/** Resolves when a message with `key` is seen on the consumer's topic. */
class Arrivals {
  private readonly waiting = new Map<string, (at: number) => void>();
  private readonly early = new Map<string, number>();

  seen(key: string): void {
    const at = now();
    const resolve = this.waiting.get(key);
    if (resolve) {
      this.waiting.delete(key);
      resolve(at);
    } else this.early.set(key, at);
  }

  wait(key: string, timeoutMs = 60_000): Promise<number> {
    const at = this.early.get(key);
    if (at !== undefined) {
      this.early.delete(key);
      return Promise.resolve(at);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${key} not seen within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.set(key, (t) => (clearTimeout(timer), resolve(t)));
    });
  }
}

async function consume(topic: string, onMessage: (key: string, value: Buffer | null) => void): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId: uniqueName('saga_bench'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  let assigned = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (assigned = true));
  // Offsets committed once a second, as the services' consumers do (kafkajs' default commits
  // after every batch: an OffsetCommit per order on the observer, per message on the floor's hops).
  await consumer.run({ autoCommitInterval: 1_000, partitionsConsumedConcurrently: 3, eachMessage: async ({ message }) => onMessage(String(message.key), message.value) });
  while (!assigned) await new Promise((r) => setTimeout(r, 50));
  return consumer;
}

async function benchSaga(stack: SagaStack, topicPrefix: string) {
  const confirmed = new Arrivals();
  const cpu = cpuMeter(stack);
  const observer = await consume(`${topicPrefix}order_events`, (key, value) => {
    if (value && JSON.parse(value.toString()).eventType === 'OrderConfirmed') confirmed.seen(key);
  });
  const users = await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => stack.createUser(`bench${i}`)));
  // First order per user waits until order-service knows the customer (placeOrder retries until then).
  await Promise.all(users.map(async (user) => confirmed.wait((await stack.placeOrder(user, 'tok_visa')).id)));
  const placed: Array<{ id: string; t0: number; tConfirmedSeen: number }> = [];
  const result = await closedLoop(async (worker) => {
    const t0 = now();
    const answer = await stack.call('POST', '/orders', { userId: users[worker], items: [{ sku: 'B', quantity: 1, unitPriceCents: 999 }], currency: 'EUR', paymentMethod: 'tok_visa' });
    if (answer.status !== 202) throw new Error(`POST /orders: ${answer.status} ${JSON.stringify(answer.body)}`);
    const seen = await confirmed.wait(answer.body.id);
    placed.push({ id: answer.body.id, t0, tConfirmedSeen: seen });
    return seen - t0;
  }, cpu);
  await observer.disconnect();
  return { ...result, placed, cpu: await cpu.split(result.latencies.length) };
}

/**
 * CPU time of every process taking part, over the measured window, per confirmed order: each app,
 * its PostgreSQL backends (by application_name: the service's pool, its relay), Kafka, this
 * process (the load and the observer). The saga runs CPU-bound on this machine, so this, more
 * than the hop split, says what an order costs and where.
 */
function cpuMeter(stack: SagaStack) {
  const apps = ['api-gateway', 'user-service', 'order-service', 'payment-service', 'notification-service'] as const;
  let opened: { processes: Map<number, ProcessTicks>; machine: { busy: number; total: number } } | undefined;
  let closed: typeof opened;
  const snapshot = () => ({ processes: allProcessTicks(), machine: machineTicks() });
  return {
    open: () => void (opened = snapshot()),
    close: () => void (closed = snapshot()),
    async split(orders: number): Promise<CpuRow[] | undefined> {
      if (!opened || !closed || closed.machine.total === 0) return undefined;
      const backends = await stackBackends(stack);
      const names = new Map<number, string>([[process.pid, 'saga bench (load, observer)'], ...apps.map((app): [number, string] => [stack.pidOf(app), app])]);
      for (const [pid, name] of backends) names.set(pid, `postgres: ${name}`);
      const groups = new Map<string, Usage>();
      for (const [pid, { comm, ticks, syscalls, wakeups }] of closed.processes) {
        // PostgreSQL processes not named here are its background workers and other databases' backends.
        const group = names.get(pid) ?? groupByComm(comm);
        const before = opened.processes.get(pid);
        const sum = groups.get(group) ?? { ticks: 0, reads: 0, writes: 0, wakeups: 0 };
        sum.ticks += ticks - (before?.ticks ?? 0);
        sum.wakeups += wakeups - (before?.wakeups ?? 0);
        sum.reads += syscalls.reads - (before?.syscalls.reads ?? 0);
        sum.writes += syscalls.writes - (before?.syscalls.writes ?? 0);
        groups.set(group, sum);
      }
      const perOrder = (group: string, sum: Usage): CpuRow => ({
        group,
        cpuMs: (sum.ticks * 1_000) / TICKS_PER_SECOND / orders,
        reads: sum.reads / orders,
        writes: sum.writes / orders,
        wakeups: sum.wakeups / orders,
      });
      const rows = [...groups].filter(([, sum]) => sum.ticks > 0).sort((a, b) => b[1].ticks - a[1].ticks).map(([group, sum]) => perOrder(group, sum));
      const busy = closed.machine.busy - opened.machine.busy;
      const share = (100 * busy) / (closed.machine.total - opened.machine.total);
      const machine: Usage = { ticks: busy, reads: 0, writes: 0, wakeups: 0 };
      for (const sum of groups.values()) {
        machine.reads += sum.reads;
        machine.writes += sum.writes;
        machine.wakeups += sum.wakeups;
      }
      return [...rows, perOrder(`machine, all cores (${share.toFixed(0)}% busy)`, machine)];
    },
  };
}

/** CPU ticks, read/write system calls and wake-ups of a group of processes over the measured window. */
interface Usage {
  ticks: number;
  reads: number;
  writes: number;
  wakeups: number;
}

/** Per confirmed order: CPU time, system calls (each socket write a message sent, so round trips) and wake-ups. */
type CpuRow = { group: string; cpuMs: number } & Omit<Usage, 'ticks'>;

/** The stack's PostgreSQL backends: pid → application_name. */
async function stackBackends(stack: SagaStack): Promise<Map<number, string>> {
  const db = new Client({ connectionString: settings.event_store.database_url });
  await db.connect();
  try {
    const { rows } = await db.query<{ pid: number; name: string }>(`SELECT pid, application_name AS name FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [stack.database]);
    return new Map(rows.map((r) => [r.pid, r.name || 'unnamed']));
  } finally {
    await db.end();
  }
}

/**
 * The stack's tables with the most dead row versions at the end of the run, and whether
 * autovacuum runs: the saga rewrites the same rows many times a second (checkpoints, outbox and
 * pending-charge rows), and where nothing vacuums them, scans wade through what they left.
 */
async function deadRows(db: Client): Promise<{ autovacuum: string; tables: Array<{ name: string; live: number; dead: number }> }> {
  const autovacuum = (await db.query<{ on: string }>(`SELECT current_setting('autovacuum') AS on`)).rows[0].on;
  const { rows } = await db.query<{ name: string; live: string; dead: string }>(
    `SELECT schemaname || '.' || relname AS name, n_live_tup AS live, n_dead_tup AS dead FROM pg_stat_user_tables ORDER BY n_dead_tup DESC LIMIT 6`,
  );
  return { autovacuum, tables: rows.map((r) => ({ name: r.name, live: Number(r.live), dead: Number(r.dead) })) };
}

/** `work` on a connection to the stack's own database, closed after. */
async function withStackDatabase<T>(stack: SagaStack, work: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: Object.assign(new URL(settings.event_store.database_url), { pathname: `/${stack.database}` }).toString() });
  await db.connect();
  try {
    return await work(db);
  } finally {
    await db.end();
  }
}

/** Per-hop split from the stores' own timestamps (same host clock as the bench). */
async function split(db: Client, placed: Array<{ id: string; t0: number; tConfirmedSeen: number }>) {
  const sample = placed.slice(-2_000);
  const { rows } = await db.query<{ order_id: string; placed: Date; placed_pub: Date | null; initiated: Date; processed: Date; processed_pub: Date | null; confirmed: Date }>(
    `SELECT o.aggregate_id AS order_id, o.occurred_at AS placed,
            (SELECT published_at FROM order_service.outbox x WHERE x.aggregate_id = o.aggregate_id AND x.version = 1) AS placed_pub,
            pi.occurred_at AS initiated, pp.occurred_at AS processed,
            (SELECT published_at FROM payment_service.outbox x WHERE x.aggregate_id = pp.aggregate_id AND x.version = 2) AS processed_pub,
            oc.occurred_at AS confirmed
     FROM order_service.events o
     JOIN payment_service.events pi ON pi.event_type = 'PaymentInitiated' AND pi.data->>'orderId' = o.aggregate_id::text
     JOIN payment_service.events pp ON pp.aggregate_id = pi.aggregate_id AND pp.event_type = 'PaymentProcessed'
     JOIN order_service.events oc ON oc.aggregate_id = o.aggregate_id AND oc.event_type = 'OrderConfirmed'
     WHERE o.event_type = 'OrderPlaced' AND o.aggregate_id = ANY($1::uuid[])`,
    [sample.map((p) => p.id)],
  );
  const byId = new Map(sample.map((p) => [p.id, p]));
  const hops: Record<string, number[]> = {
    'POST → OrderPlaced stored': [],
    '→ OrderPlaced published (relay)': [],
    '→ PaymentInitiated stored (Kafka + consumer)': [],
    '→ PaymentProcessed stored (charge)': [],
    '→ PaymentProcessed published (relay)': [],
    '→ OrderConfirmed stored (Kafka + consumer)': [],
    '→ seen by the bench (relay + Kafka)': [],
  };
  const keys = Object.keys(hops);
  for (const r of rows) {
    const p = byId.get(r.order_id);
    if (!p || !r.placed_pub || !r.processed_pub) continue;
    const points = [p.t0, r.placed.getTime(), r.placed_pub.getTime(), r.initiated.getTime(), r.processed.getTime(), r.processed_pub.getTime(), r.confirmed.getTime(), p.tConfirmedSeen];
    for (let i = 0; i < keys.length; i++) hops[keys[i]].push(points[i + 1] - points[i]);
  }
  return hops;
}

async function benchFloor(prefix: string) {
  const [a, b, c] = ['a', 'b', 'c'].map((t) => `${prefix}floor_${t}`);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [a, b, c].map((topic) => ({ topic, numPartitions: settings.kafka.topic_partitions })) });
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const arrivals = new Arrivals();
  const hop = (from: string, to: string) => consume(from, (key, value) => void producer.send({ topic: to, acks: -1, messages: [{ key, value }] }));
  const consumers = [await hop(a, b), await hop(b, c), await consume(c, (key) => arrivals.seen(key))];
  let n = 0;
  const payload = Buffer.alloc(500, 'x');
  try {
    return await closedLoop(async () => {
      const key = `m${n++}`;
      const t0 = now();
      await producer.send({ topic: a, acks: -1, messages: [{ key, value: payload }] });
      return (await arrivals.wait(key)) - t0;
    });
  } finally {
    for (const consumer of consumers) await consumer.disconnect();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [a, b, c] }).catch(() => undefined);
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  console.log(`saga bench ${new Date().toISOString()} | concurrency ${CONCURRENCY} | ${SECONDS} s measured after ${WARMUP} s warm-up | node ${process.version}`);
  // The shipped pool size, not the test stack's smaller one: the bench measures the product.
  const stack = await startSagaStack('saga_bench', { CAUSEWAY__SAGA__PAYMENT_DEADLINE: '60s', CAUSEWAY__EVENT_STORE__POOL_SIZE: '20' });
  const topicPrefix = `${stack.database}.`;
  let saga: Awaited<ReturnType<typeof benchSaga>>;
  let hops: Record<string, number[]>;
  let dead: Awaited<ReturnType<typeof deadRows>>;
  try {
    console.error('running the saga…');
    saga = await benchSaga(stack, topicPrefix);
    ({ dead, hops } = await withStackDatabase(stack, async (db) => ({ dead: await deadRows(db), hops: await split(db, saga.placed) })));
  } finally {
    await stack.stop();
  }
  console.error('running the plumbing floor…');
  const floor = await benchFloor(topicPrefix);

  console.log(`\nplace → CONFIRMED through the gateway (closed loop, ${CONCURRENCY} workers):`);
  console.log(`  orders/s confirmed: ${saga.rate.toFixed(1)}   latency ms ${stats(saga.latencies)}`);
  console.log(`  orders/s by ${SLICE_SECONDS} s of the window: ${bySlice(saga.sliceRates)}`);
  console.log('  where the time goes, ms per order:');
  for (const [hop, values] of Object.entries(hops)) console.log(`    ${hop.padEnd(46)} ${stats(values)}`);
  console.log('  where the CPU goes, per confirmed order (measured window, /proc): CPU ms, read and write system calls, wake-ups (all threads)');
  if (!saga.cpu) console.log('    n/a (not Linux)');
  for (const { group, cpuMs, reads, writes, wakeups } of saga.cpu ?? []) {
    console.log(`    ${group.padEnd(46)} ${cpuMs.toFixed(2).padStart(7)} ms ${reads.toFixed(1).padStart(7)} r ${writes.toFixed(1).padStart(7)} w ${wakeups.toFixed(1).padStart(7)} wake`);
  }
  console.log(`  dead row versions at the end (autovacuum ${dead.autovacuum}): ${dead.tables.map((t) => `${t.name} ${t.dead} (live ${t.live})`).join(', ')}`);
  console.log(`\nplumbing floor: A → B → C through two kafkajs consume → produce hops, no database (closed loop, ${CONCURRENCY} workers):`);
  console.log(`  messages/s: ${floor.rate.toFixed(1)}   latency ms ${stats(floor.latencies)}`);
  console.log(`  messages/s by ${SLICE_SECONDS} s of the window: ${bySlice(floor.sliceRates)}`);
  console.log(`\nratio saga / floor: ${(saga.rate / floor.rate).toFixed(2)}x   [targets: >= 200 orders/s, p99 <= 250 ms, >= 0.35x the floor]`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
