import { adminQuery, createTestDatabase, TcpProxy, testSettings } from '@causeway/testing';
import { Client, Pool } from 'pg';
import { isDatabaseUnavailable } from './database-errors';

/** The errors pg and pg-pool really raise, provoked against a real PostgreSQL behind a proxy. */
describe('isDatabaseUnavailable (real PostgreSQL)', () => {
  const url = testSettings().event_store.database_url;
  const failure = (work: () => Promise<unknown>) => work().then(() => { throw new Error('expected a failure'); }, (error: unknown) => error);

  it('is true for a refused connection, a connection dropped under a query, and no free pool connection in time', async () => {
    const proxy = await TcpProxy.to(url, 5432, { cut: true });
    const pool = new Pool({ connectionString: proxy.url(url), max: 1, connectionTimeoutMillis: 300 });
    pool.on('error', () => undefined);
    try {
      expect(isDatabaseUnavailable(await failure(() => pool.query('SELECT 1')))).toBe(true); // refused

      await proxy.restore();
      const held = await pool.connect();
      held.on('error', () => undefined); // the drop is also emitted on a checked-out client
      expect(isDatabaseUnavailable(await failure(() => pool.query('SELECT 1')))).toBe(true); // the one connection is held
      const dropped = failure(() => held.query('SELECT pg_sleep(5)'));
      await proxy.cut();
      expect(isDatabaseUnavailable(await dropped)).toBe(true);
      held.release(true);
    } finally {
      await pool.end();
      await proxy.cut();
    }
  });

  it('is true for a backend terminated by the server (57P01), false for what a statement does wrong', async () => {
    const db = await createTestDatabase('db_errors', 2);
    const client = new Client({ connectionString: url, application_name: 'db_errors_victim' });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const terminated = failure(() => client.query('SELECT pg_sleep(5)'));
      await adminQuery(`SELECT pg_terminate_backend(${rows[0].pid})`);
      expect(isDatabaseUnavailable(await terminated)).toBe(true);

      expect(isDatabaseUnavailable(await failure(() => db.pool.query('SELECT * FROM no_such_table')))).toBe(false);
      expect(isDatabaseUnavailable(await failure(() => db.pool.query('SELECT 1/0')))).toBe(false);
      await db.pool.query(`CREATE TABLE ${db.schema}.t (id int PRIMARY KEY)`);
      await db.pool.query(`INSERT INTO ${db.schema}.t VALUES (1)`);
      expect(isDatabaseUnavailable(await failure(() => db.pool.query(`INSERT INTO ${db.schema}.t VALUES (1)`)))).toBe(false);
      expect(isDatabaseUnavailable(new Error('handler failed'))).toBe(false);
      expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false);
    } finally {
      await client.end().catch(() => undefined);
      await db.dispose();
    }
  });
});
