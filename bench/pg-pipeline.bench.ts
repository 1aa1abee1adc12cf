/**
 * What a transaction of independent statements costs sent one after the other (each awaited, as
 * the services send theirs today) and sent through node-postgres' pipeline mode (`pipeline: true`,
 * pg ≥ 8.23: every statement goes out at once, each with its own Sync, answered in order). Per
 * transaction: wall time, the PostgreSQL backend's CPU and this process's CPU. Prints numbers,
 * asserts nothing.
 *
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register bench/pg-pipeline.bench.ts [--transactions 2000] [--rounds 3]
 *
 * Each transaction is BEGIN, `statements` single-row INSERTs (named, with values, as the services'
 * statements are) and COMMIT, on one connection per mode; modes alternate within each round.
 * PostgreSQL must run on this host (the backend's CPU is read from /proc).
 */
import { testSettings, uniqueName } from '@causeway/testing';
import { Client } from 'pg';
import { numberFlag } from './args';
import { processTicks, TICKS_PER_SECOND } from './proc-cpu';

const TRANSACTIONS = numberFlag('transactions', 2_000);
const ROUNDS = numberFlag('rounds', 3);
const STATEMENTS = [1, 4];

type Mode = 'one by one' | 'pipelined';

async function connect(pipeline: boolean): Promise<{ client: Client; backend: number }> {
  const client = new Client({ connectionString: testSettings().event_store.database_url, pipeline });
  await client.connect();
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return { client, backend: rows[0].pid };
}

async function transaction(client: Client, mode: Mode, table: string, statements: number): Promise<void> {
  const insert = (i: number) => client.query({ name: `insert_${table}`, text: `INSERT INTO ${table} (n, note) VALUES ($1, $2)`, values: [i, 'x'] });
  if (mode === 'one by one') {
    await client.query('BEGIN');
    for (let i = 0; i < statements; i++) await insert(i);
    await client.query('COMMIT');
    return;
  }
  await Promise.all([client.query('BEGIN'), ...Array.from({ length: statements }, (_, i) => insert(i)), client.query('COMMIT')]);
}

async function main(): Promise<void> {
  const table = uniqueName('bench_pipeline');
  const modes: Record<Mode, { client: Client; backend: number }> = { 'one by one': await connect(false), pipelined: await connect(true) };
  const setup = modes['one by one'].client;
  await setup.query(`CREATE TABLE ${table} (n integer, note text)`);
  const results = new Map<string, Array<{ wall: number; backend: number; node: number }>>();
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const statements of STATEMENTS) {
        for (const mode of Object.keys(modes) as Mode[]) {
          const { client, backend } = modes[mode];
          const started = { wall: performance.now(), backend: processTicks(backend), node: process.cpuUsage() };
          for (let t = 0; t < TRANSACTIONS; t++) await transaction(client, mode, table, statements);
          const node = process.cpuUsage(started.node);
          const per = (ms: number) => (ms * 1_000) / TRANSACTIONS;
          const key = `${statements}|${mode}`;
          results.set(key, [
            ...(results.get(key) ?? []),
            { wall: per(performance.now() - started.wall), backend: per(((processTicks(backend) - started.backend) * 1_000) / TICKS_PER_SECOND), node: per((node.user + node.system) / 1_000) },
          ]);
          console.error(`round ${round}: ${statements} statement(s), ${mode} done`);
        }
      }
    }
  } finally {
    await setup.query(`DROP TABLE ${table}`);
    await Promise.all(Object.values(modes).map(({ client }) => client.end()));
  }

  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(`## pg pipeline mode (${new Date().toISOString()})\n`);
  console.log(`${TRANSACTIONS} transactions per run, ${ROUNDS} rounds, modes alternating; medians over rounds, µs per transaction (BEGIN, n INSERTs, COMMIT).\n`);
  console.log('| INSERTs | mode | wall µs | backend CPU µs | Node CPU µs |');
  console.log('| ---: | --- | ---: | ---: | ---: |');
  for (const [key, runs] of results) {
    const [statements, mode] = key.split('|');
    const cell = (pick: (run: { wall: number; backend: number; node: number }) => number) => median(runs.map(pick)).toFixed(0);
    console.log(`| ${statements} | ${mode} | ${cell((r) => r.wall)} | ${cell((r) => r.backend)} | ${cell((r) => r.node)} |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
