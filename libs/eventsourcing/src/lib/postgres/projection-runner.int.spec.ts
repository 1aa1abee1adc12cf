import { adminQuery, createTestDatabase, TcpProxy, testSettings, waitFor, type TestDatabase } from '@causeway/testing';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { noted } from '../../testing/event-store.contract';
import type { ReadAllResult } from '../event-store.port';
import { contractTestSchemas } from '../../testing/test-schemas';
import { appendChannel } from './append-notifier';
import { migrateEventStore } from './event-store.migrations';
import { refuseNestedConnections } from './connection-guard';
import { PostgresEventStore } from './postgres-event-store';
import { migrateProjections, ProjectionNotRebuildableError, ProjectionRunner, type Projection, type ProjectionRebuild } from './projection-runner';

describe('ProjectionRunner (real PostgreSQL)', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  /** The same schema's store in another replica: its appends reach this one's runners by NOTIFY only. */
  let otherReplica: PostgresEventStore;
  const connection = { connectionString: testSettings().event_store.database_url };

  beforeEach(async () => {
    db = await createTestDatabase('projections', 20);
    refuseNestedConnections(db.pool); // a handler or projection reaching past its transaction fails the test
    await migrateEventStore(db.pool, { schema: db.schema, partitions: 4 });
    await migrateProjections(db.pool, db.schema);
    await db.pool.query(`CREATE TABLE ${db.schema}.notes (event_id uuid NOT NULL, text text NOT NULL)`);
    store = new PostgresEventStore(db.pool, { schema: db.schema, schemas: contractTestSchemas().schemas });
    otherReplica = new PostgresEventStore(db.pool, { schema: db.schema, schemas: contractTestSchemas().schemas });
  });
  afterEach(() => db.dispose());

  const notesProjection = (committed: string[] = []): Projection => ({
    name: 'notes',
    apply: async (event, tx) => void (await tx.query(`INSERT INTO ${db.schema}.notes VALUES ($1, $2)`, [event.eventId, event.data['text']])),
    afterCommit: async (events) => void committed.push(...events.map((e) => e.eventId)),
  });
  const count = async () => (await db.pool.query(`SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM ${db.schema}.notes`)).rows[0] as { n: number; d: number };

  it('projects new events as they are appended (woken by NOTIFY), then resumes from its checkpoint after a restart', async () => {
    const committed: string[] = [];
    const runner = new ProjectionRunner(db.pool, store, connection, { schema: db.schema, batchSize: 50, pollIntervalMs: 60_000 }).register(notesProjection(committed));
    await runner.start();
    const id = randomUUID();
    await otherReplica.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 0, events: [noted('a'), noted('b')] });
    // The poll interval is a minute: only the NOTIFY wake-up can make this pass in time.
    await waitFor('the projection to catch up', async () => (await count()).n === 2, { timeoutMs: 5_000 });
    expect(committed).toHaveLength(2);
    await runner.stop();

    await store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 2, events: [noted('c')] });
    const restarted = new ProjectionRunner(db.pool, store, connection, { schema: db.schema, batchSize: 50, pollIntervalMs: 60_000 }).register(notesProjection());
    await restarted.start();
    await waitFor('the restarted runner to project only the new event', async () => (await count()).n === 3, { timeoutMs: 5_000 });
    await restarted.stop();
    expect(await count()).toEqual({ n: 3, d: 3 });
    const [status] = await restarted.status();
    expect(status.name).toBe('notes');
    expect(status.checkpoint.position).toBeGreaterThan(0n);
  });

  it("is woken by its own store's appends by a call, without a NOTIFY; stopped, it no longer is", async () => {
    const listener = new Client(connection);
    await listener.connect();
    let notifications = 0;
    listener.on('notification', () => notifications++);
    await listener.query(`LISTEN ${appendChannel(db.schema)}`);
    const runner = new ProjectionRunner(db.pool, store, connection, { schema: db.schema, batchSize: 50, pollIntervalMs: 60_000 }).register(notesProjection());
    const notifies = jest.spyOn(db.pool, 'query');
    const sentNotify = () => notifies.mock.calls.some(([statement]) => String(statement).includes('pg_notify'));
    try {
      await runner.start();
      await store.append({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [noted('here')] });
      // The poll interval is a minute and no NOTIFY goes out: only the call can wake it in time.
      await waitFor('the projection to catch up', async () => (await count()).n === 1, { timeoutMs: 5_000 });
      expect(sentNotify()).toBe(false);
      expect(notifications).toBe(0);

      await runner.stop();
      await store.append({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [noted('after')] });
      await waitFor('a NOTIFY for the runners of other replicas', () => notifications === 1, { timeoutMs: 5_000 });
    } finally {
      await runner.stop();
      await listener.end();
    }
  });

  it('projects an event held back by an older transaction as soon as that ends, though it never notifies', async () => {
    const reads: Array<Promise<ReadAllResult>> = [];
    const readAll = store.readAll.bind(store);
    jest.spyOn(store, 'readAll').mockImplementation((...args) => {
      const read = readAll(...args);
      reads.push(read);
      return read;
    });
    const runner = new ProjectionRunner(db.pool, store, connection, { schema: db.schema, batchSize: 50, pollIntervalMs: 60_000 }).register(notesProjection());
    await runner.start();
    // Older than the append, writing (it has a transaction id) but never appending: like another
    // projection's batch or a consumer's inbox write. Its COMMIT sends no NOTIFY.
    const older = await db.pool.connect();
    try {
      await older.query('BEGIN');
      await older.query('SELECT pg_current_xact_id()');
      await store.append({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [noted('late')] });
      // The append woke the runner, which found the event held back.
      await waitFor('the runner to find the event held back', async () => (await Promise.all(reads)).some((r) => r.heldBack), { timeoutMs: 5_000 });
      expect(await count()).toEqual({ n: 0, d: 0 });
      await older.query('COMMIT');
      // The poll interval is a minute and nothing notifies: only re-reading a held-back log soon can pass.
      await waitFor('the held-back event projected', async () => (await count()).n === 1, { timeoutMs: 5_000 });
    } finally {
      older.release();
      await runner.stop();
    }
  });

  it('listens again after losing its LISTEN connection, so appends wake it without waiting for the poll', async () => {
    const proxy = await TcpProxy.to(connection.connectionString, 5432);
    const failures: unknown[] = [];
    const runner = new ProjectionRunner(db.pool, store, { connectionString: proxy.url(connection.connectionString) }, {
      schema: db.schema,
      batchSize: 50,
      pollIntervalMs: 60_000,
      onError: (error) => void failures.push(error),
    }).register(notesProjection());
    try {
      await runner.start();
      await proxy.cut(); // the database "restarts": the LISTEN connection drops
      await waitFor('the runner to notice', () => failures.length > 0, { timeoutMs: 5_000 });
      await proxy.restore();
      // Listening again is what wakes it: the poll interval is a minute.
      await waitFor('the runner to listen again', async () => {
        await otherReplica.append({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [noted('after the outage')] });
        return (await count()).n > 0;
      }, { timeoutMs: 10_000, intervalMs: 500 });
    } finally {
      await runner.stop();
      await proxy.cut();
    }
  });

  // With a long poll interval each replica trusts the checkpoint it last saw while the other
  // moves it: the lock must catch that, or events are applied twice.
  it.each([20, 60_000])('applies each event once when two replicas run the same projection (poll interval %i ms)', async (pollIntervalMs) => {
    const runners = [1, 2].map(() => new ProjectionRunner(db.pool, store, connection, { schema: db.schema, batchSize: 10, pollIntervalMs }).register(notesProjection()));
    await Promise.all(runners.map((r) => r.start()));
    await Promise.all(Array.from({ length: 20 }, async () => {
      const id = randomUUID();
      for (let v = 0; v < 10; v += 2) await store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: v, events: [noted(`${v}`), noted(`${v + 1}`)] });
    }));
    await waitFor('200 events projected', async () => (await count()).n >= 200, { timeoutMs: 15_000 });
    await Promise.all(runners.map((r) => r.stop()));
    expect(await count()).toEqual({ n: 200, d: 200 });
  });

  it('calls beforeCommit with the batch before it commits (cache markers survive a crash after the commit), afterCommit after', async () => {
    const seen: Array<[hook: string, visible: number]> = [];
    // From a connection outside the runner's pool (which refuses its transaction a second one): committed rows only.
    const visibleNotes = async () => (await adminQuery(`SELECT count(*)::int AS n FROM ${db.schema}.notes`)).rows[0].n as number;
    const runner = new ProjectionRunner(db.pool, store, connection, { schema: db.schema, batchSize: 50, pollIntervalMs: 60_000 }).register({
      ...notesProjection(),
      beforeCommit: async (events) => void seen.push(['before', events.length], ['visible then', await visibleNotes()]),
      afterCommit: async () => void seen.push(['visible after', await visibleNotes()]),
    });
    await store.append({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [noted('a'), noted('b')] });
    // catchUp projects what is settled: a transaction of a test beside this one may delay it.
    await waitFor('the batch projected', async () => (await runner.catchUp(), seen.length > 0), { timeoutMs: 10_000 });
    expect(seen).toEqual([
      ['before', 2],
      ['visible then', 0],
      ['visible after', 2],
    ]);
  });

  it('picks up a checkpoint rewound by hand within a poll interval, without new events', async () => {
    const runner = new ProjectionRunner(db.pool, store, connection, { schema: db.schema, batchSize: 50, pollIntervalMs: 200 }).register(notesProjection());
    await runner.start();
    await store.append({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [noted('a'), noted('b')] });
    await waitFor('the projection to catch up', async () => (await count()).n === 2, { timeoutMs: 5_000 });
    await db.pool.query(`BEGIN; DELETE FROM ${db.schema}.notes; UPDATE ${db.schema}.projection_checkpoints SET transaction_id = '0', position = 0; COMMIT`);
    await waitFor('the rewound projection to be rebuilt', async () => (await count()).n === 2, { timeoutMs: 5_000 });
    await runner.stop();
    expect(await count()).toEqual({ n: 2, d: 2 });
  });
  describe('rebuild', () => {
    const texts = async () => (await adminQuery(`SELECT text FROM ${db.schema}.notes ORDER BY text`)).rows.map((r) => r.text as string);
    const rebuildable = (log: string[]): Projection => ({
      ...notesProjection(),
      reset: async (tx) => void (log.push('reset'), await tx.query(`DELETE FROM ${db.schema}.notes`)),
      afterRebuild: async () => void log.push(`afterRebuild, visible: ${(await texts()).join(',')}`),
    });
    const recordRebuilds = (log: string[], rebuilds: ProjectionRebuild[]) => async (rebuild: ProjectionRebuild, tx: { query: (sql: string) => Promise<{ rows: Array<{ n: number }> }> }) => {
      rebuilds.push(rebuild);
      // In the last batch's transaction: its notes are there, not yet committed for others.
      log.push(`onRebuilt, in its transaction: ${(await tx.query(`SELECT count(*)::int AS n FROM ${db.schema}.notes`)).rows[0].n}, visible: ${(await texts()).length}`);
    };

    it('empties the read model and rewinds it in one transaction; the running runner replays it in batches and reports it once, with its last batch', async () => {
      const log: string[] = [];
      const rebuilds: ProjectionRebuild[] = [];
      const runner = new ProjectionRunner(db.pool, store, connection, { schema: db.schema, batchSize: 2, pollIntervalMs: 60_000, onRebuilt: recordRebuilds(log, rebuilds) }).register(rebuildable(log));
      await runner.start();
      try {
        await store.append({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [noted('a'), noted('b')] });
        await store.append({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [noted('c')] });
        await waitFor('the projection to catch up', async () => (await count()).n === 3, { timeoutMs: 5_000 });
        // What a bug in the projection would have left, which only a rebuild repairs.
        await db.pool.query(`UPDATE ${db.schema}.notes SET text = 'wrong'`);

        const started = await runner.rebuild('notes');
        expect(started.rebuild).toMatchObject({ eventsReplayed: 0 });
        expect(started.checkpoint).toEqual({ transactionId: 0n, position: 0n });
        await waitFor('the rebuild to be reported', () => rebuilds.length > 0, { timeoutMs: 5_000 });
        await waitFor('afterRebuild', () => log.length === 3, { timeoutMs: 5_000 });

        // Batches of 2: the first committed on its own, the rebuild reported with the second.
        expect(log).toEqual(['reset', 'onRebuilt, in its transaction: 3, visible: 2', 'afterRebuild, visible: a,b,c']);
        expect(rebuilds).toEqual([{ projection: 'notes', eventsReplayed: 3, startedAt: started.rebuild?.startedAt }]);
        expect(await texts()).toEqual(['a', 'b', 'c']);
        const [status] = await runner.status();
        expect(status.rebuild).toBeUndefined();

        // Ended: new events are projected as usual and report no second rebuild.
        await store.append({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [noted('d')] });
        await waitFor('the next event projected', async () => (await count()).n === 4, { timeoutMs: 5_000 });
        expect(rebuilds).toHaveLength(1);
      } finally {
        await runner.stop();
      }
    });

    it('is stored, not held in memory: a rebuild asked of a runner that stops is finished by the next one to run the projection', async () => {
      await store.append({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [noted('a'), noted('b'), noted('c')] });
      const asked = new ProjectionRunner(db.pool, store, connection, { schema: db.schema, batchSize: 50, pollIntervalMs: 60_000 }).register(rebuildable([]));
      await asked.catchUp();
      expect(await count()).toEqual({ n: 3, d: 3 });

      const started = await asked.rebuild('notes');
      expect(await count()).toEqual({ n: 0, d: 0 });
      expect(started.rebuild?.until.position).toBeGreaterThan(0n);

      const log: string[] = [];
      const rebuilds: ProjectionRebuild[] = [];
      const next = new ProjectionRunner(db.pool, store, connection, { schema: db.schema, batchSize: 50, pollIntervalMs: 60_000, onRebuilt: recordRebuilds(log, rebuilds) }).register(rebuildable(log));
      await next.start();
      try {
        await waitFor('the other runner to finish the rebuild', () => log.length === 2, { timeoutMs: 5_000 });
        expect(rebuilds).toEqual([{ projection: 'notes', eventsReplayed: 3, startedAt: started.rebuild?.startedAt }]);
        expect(await texts()).toEqual(['a', 'b', 'c']);
      } finally {
        await next.stop();
      }
    });

    it('of an empty log ends at once, reported in the same transaction', async () => {
      const log: string[] = [];
      const rebuilds: ProjectionRebuild[] = [];
      const runner = new ProjectionRunner(db.pool, store, connection, { schema: db.schema, batchSize: 50, pollIntervalMs: 60_000, onRebuilt: recordRebuilds(log, rebuilds) }).register(rebuildable(log));
      const status = await runner.rebuild('notes');
      expect(status.rebuild).toBeUndefined();
      expect(rebuilds).toEqual([expect.objectContaining({ projection: 'notes', eventsReplayed: 0 })]);
      expect(log).toEqual(['reset', 'onRebuilt, in its transaction: 0, visible: 0', 'afterRebuild, visible: ']);
    });

    it('refuses a projection the runner does not have, or one without a reset, and changes nothing', async () => {
      const runner = new ProjectionRunner(db.pool, store, connection, { schema: db.schema, batchSize: 50, pollIntervalMs: 60_000 }).register(notesProjection());
      await store.append({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [noted('a')] });
      await runner.catchUp();
      const before = await runner.status();
      await expect(runner.rebuild('elsewhere')).rejects.toThrow(new ProjectionNotRebuildableError('elsewhere', 'this service has no such projection (it has: notes)'));
      await expect(runner.rebuild('notes')).rejects.toThrow(new ProjectionNotRebuildableError('notes', 'it has no reset'));
      expect(await runner.status()).toEqual(before);
      expect(await count()).toEqual({ n: 1, d: 1 });
    });
  });
});
