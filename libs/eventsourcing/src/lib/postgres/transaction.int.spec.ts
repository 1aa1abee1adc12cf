import { createTestDatabase, type TestDatabase } from '@causeway/testing';
import type { PoolClient } from 'pg';
import { preparedStatement } from './prepared-name';
import { begin, commit, releaseSavepoint, rollback, savepoint } from './transaction';

describe('begin / commit / rollback (real PostgreSQL)', () => {
  let db: TestDatabase;
  let client: PoolClient;
  /** The server's ReadyForQuery statuses since the last read: one per round trip ('I' idle, 'T' in a transaction, 'E' failed one). */
  let roundTrips: string[];
  const onReady = (message: { status: string }) => roundTrips.push(message.status);
  const connectionOf = (c: PoolClient) => (c as unknown as { connection: NodeJS.EventEmitter }).connection;
  const take = () => roundTrips.splice(0);
  const insert = (text: string) => ({ ...preparedStatement('tx_spec_insert', `INSERT INTO ${db.schema}.notes (text) VALUES ($1) RETURNING id`), values: [text] });
  const count = async () => (await db.pool.query(`SELECT count(*)::int AS n FROM ${db.schema}.notes`)).rows[0].n as number;

  beforeAll(async () => {
    db = await createTestDatabase('tx_opening', 3);
    await db.pool.query(`CREATE TABLE ${db.schema}.notes (id serial PRIMARY KEY, text text NOT NULL UNIQUE)`);
  });
  afterAll(() => db.dispose());

  beforeEach(async () => {
    client = await db.pool.connect();
    roundTrips = [];
    connectionOf(client).on('readyForQuery', onReady);
    // The connection's first transaction prepares the opening statements, on their own.
    await begin(client, { statementTimeoutMs: 50 });
    await commit(client);
    await begin(client);
    await savepoint(client, 'attempt');
    await releaseSavepoint(client, 'attempt');
    await commit(client);
    take();
  });
  afterEach(() => {
    connectionOf(client).off('readyForQuery', onReady);
    client.release(true); // a fresh connection per test: none inherits another's state
  });

  it('sends BEGIN with the first statement: two round trips for a one-statement transaction, its result intact', async () => {
    await begin(client);
    expect(take()).toEqual([]);
    const result = await client.query<{ id: number }>(insert('one'));
    expect(take()).toEqual(['T']);
    expect(result.command).toBe('INSERT');
    expect(result.rowCount).toBe(1);
    expect(result.rows).toEqual([{ id: expect.any(Number) }]);
    await commit(client);
    expect(take()).toEqual(['I']);
    expect(await count()).toBe(1);
  });

  it('opens a real transaction: a rollback undoes the first statement', async () => {
    const before = await count();
    await begin(client);
    await client.query(insert('rolled back'));
    await rollback(client);
    expect(take()).toEqual(['T', 'I']);
    expect(await count()).toBe(before);
  });

  it('sets the statement timeout in the same round trip', async () => {
    await begin(client, { statementTimeoutMs: 50 });
    await expect(client.query('SELECT pg_sleep($1)', [1])).rejects.toMatchObject({ code: '57014' });
    // (The error reaches the caller before the server's ReadyForQuery after it.)
    await rollback(client);
    expect(take()).toEqual(['E', 'I']);
  });

  it('fails with the first statement’s own error, and the connection serves the next transaction', async () => {
    await begin(client);
    await client.query(insert('twice'));
    await commit(client);
    await begin(client);
    await expect(client.query(insert('twice'))).rejects.toMatchObject({ code: '23505' });
    await rollback(client);
    take();
    await begin(client);
    await client.query(insert('after the failure'));
    await commit(client);
    expect(take()).toEqual(['T', 'I']);
  });

  it('sends nothing for a transaction that runs no statement, and leaves the connection idle', async () => {
    await begin(client);
    await commit(client);
    await begin(client);
    await rollback(client);
    expect(take()).toEqual([]);
    await client.query('SELECT 1');
    expect(take()).toEqual(['I']);
  });

  it('sends SAVEPOINT and RELEASE with the statement after each; a failed statement that carried a SAVEPOINT can be rolled back to it', async () => {
    const before = await count();
    await begin(client);
    await client.query(insert('kept'));
    await savepoint(client, 'attempt');
    expect(take()).toEqual(['T']);
    await expect(client.query(insert('kept'))).rejects.toMatchObject({ code: '23505' });
    await client.query('ROLLBACK TO SAVEPOINT attempt');
    await savepoint(client, 'attempt');
    await client.query(insert('also kept'));
    await releaseSavepoint(client, 'attempt');
    await commit(client);
    // The failed INSERT with its SAVEPOINT, the ROLLBACK TO, the INSERT carrying the new
    // SAVEPOINT, the COMMIT (the RELEASE had nothing to ride with).
    expect(take()).toEqual(['E', 'T', 'T', 'I']);
    expect(await count()).toBe(before + 2);
  });

  it('sends the opening on its own before a first statement sent as plain text', async () => {
    await begin(client);
    await client.query('SAVEPOINT first');
    await client.query(insert('after a savepoint'));
    await commit(client);
    expect(take()).toEqual(['T', 'T', 'T', 'I']);
  });
});
