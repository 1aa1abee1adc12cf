import { createTestDatabase, testSettings, type TestDatabase } from '@causeway/testing';
import { Pool, type PoolClient } from 'pg';
import { NestedConnectionError, refuseNestedConnections } from './connection-guard';
import { migrateEventStore } from './event-store.migrations';
import { afterCommit, inTransaction } from './transaction';

describe('refuseNestedConnections (real PostgreSQL)', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase('conn_guard', 1);
    await migrateEventStore(db.pool, { schema: db.schema, partitions: 1 });
    pool = refuseNestedConnections(new Pool({ connectionString: testSettings().event_store.database_url, max: 2 }));
  });
  afterAll(async () => {
    await pool.end();
    await db.dispose();
  });

  it('refuses code inside a transaction a second connection of the same pool, however it asks', async () => {
    const outcomes = await inTransaction(pool, async () =>
      Promise.allSettled([
        pool.query('SELECT 1'),
        pool.connect(),
        new Promise<PoolClient>((resolve, reject) => pool.connect((error, client) => (error ? reject(error) : resolve(client as PoolClient)))),
      ]),
    );
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: expect.any(NestedConnectionError) });
    }
    expect(pool.totalCount - pool.idleCount).toBe(0); // nothing taken, nothing leaked
  });

  it('serves another pool inside the transaction, other requests beside it, and its after-commit work', async () => {
    let afterwards: Promise<unknown> | undefined;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let opened: () => void = () => undefined;
    const isOpen = new Promise<void>((resolve) => (opened = resolve));
    const open = inTransaction(pool, async (tx) => {
      expect((await db.pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      // After COMMIT (where an append's NOTIFY goes out), the connection is no longer held.
      afterCommit(tx, () => void (afterwards = pool.query('SELECT 2 AS two')));
      opened();
      await released;
    });
    await isOpen;
    // A request beside the open transaction is not its holder.
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    release();
    await open;
    expect((await afterwards) as { rows: unknown[] }).toMatchObject({ rows: [{ two: 2 }] });
  });
});
