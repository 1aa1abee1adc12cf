import { Client, Pool, type QueryResult } from 'pg';
import { testSettings } from './test-settings';
import { uniqueName } from './unique-name';

export interface TestDatabase {
  pool: Pool;
  /** A schema of this test's own, dropped by `dispose`. */
  schema: string;
  dispose(): Promise<void>;
}

/**
 * @causeway/eventsourcing's GENERIC_PLAN_OPTIONS, which services' pools use, so the stores are
 * tested as they run (repeated here: that library's own tests depend on this one).
 */
const GENERIC_PLAN_OPTIONS = '-c plan_cache_mode=force_generic_plan';

/** A pool on the configured database and a fresh schema, so tests can run twice and side by side. */
export async function createTestDatabase(prefix = 'test', poolSize = 10): Promise<TestDatabase> {
  const pool = new Pool({ connectionString: testSettings().event_store.database_url, max: poolSize, options: GENERIC_PLAN_OPTIONS });
  const schema = uniqueName(prefix);
  await pool.query(`CREATE SCHEMA ${schema}`);
  return {
    pool,
    schema,
    async dispose() {
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pool.end();
    },
  };
}

/** One statement on a connection of its own to `url` (the configured database by default): CREATE/DROP DATABASE and the like. */
export async function adminQuery(sql: string, url = testSettings().event_store.database_url): Promise<QueryResult> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}
