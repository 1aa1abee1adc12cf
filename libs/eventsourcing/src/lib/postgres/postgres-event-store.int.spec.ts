import { createTestDatabase, testSettings, waitFor, type TestDatabase } from '@causeway/testing';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client, Pool, type PoolClient } from 'pg';
import { describeEventStoreContract, noted } from '../../testing/event-store.contract';
import { contractTestSchemas } from '../../testing/test-schemas';
import { ConcurrencyConflictError } from '../errors';
import { START, type Checkpoint, type StoredEvent } from '../event-store.port';
import { migrateEventStore } from './event-store.migrations';
import { appendChannel } from './append-notifier';
import { PostgresEventStore } from './postgres-event-store';
import { begin, commit, inTransaction, rollback } from './transaction';

describeEventStoreContract('PostgreSQL', async (schemas) => {
  const db = await createTestDatabase('es_contract');
  await migrateEventStore(db.pool, { schema: db.schema, partitions: 4 });
  return { store: new PostgresEventStore(db.pool, { schema: db.schema, schemas }), dispose: () => db.dispose() };
});

describe('PostgresEventStore (real PostgreSQL)', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await createTestDatabase('es_pg', 60);
    await migrateEventStore(db.pool, { schema: db.schema, partitions: 8 });
    store = new PostgresEventStore(db.pool, { schema: db.schema, schemas: contractTestSchemas().schemas });
  });
  afterAll(() => db.dispose());

  it('runs its migrations idempotently, also concurrently', async () => {
    await Promise.all([1, 2, 3].map(() => migrateEventStore(db.pool, { schema: db.schema, partitions: 8 })));
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM ${db.schema}.schema_migrations`);
    expect(rows[0].n).toBe(2);
    // Migration 2 took the NOTIFY trigger out of the append transaction.
    const triggers = await db.pool.query(`SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = '${db.schema}.outbox'::regclass AND NOT tgisinternal`);
    expect(triggers.rows[0].n).toBe(0);
    const parts = await db.pool.query(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = '${db.schema}.events'::regclass`);
    expect(parts.rows[0].n).toBe(8);
  });

  it('lets exactly 1 of 50 concurrent appends at the same expected version win; 49 conflict; versions stay gap-free', async () => {
    const id = randomUUID();
    await store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 0, events: [noted('first')] });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 1, events: [noted(`w${i}`), noted(`w${i}-2`)] })),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(49);
    for (const o of lost) expect(o.reason).toBeInstanceOf(ConcurrencyConflictError);
    expect((await store.readStream(id)).map((e) => e.version)).toEqual([1, 2, 3]);
  });

  it('appends events and their outbox rows in one transaction', async () => {
    const id = randomUUID();
    await store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 0, events: [noted('a'), noted('b')] });
    await store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 2, events: [noted('internal')], publish: false });
    const { rows } = await db.pool.query(`SELECT version, topic FROM ${db.schema}.outbox WHERE aggregate_id = $1 ORDER BY id`, [id]);
    expect(rows).toEqual([{ version: 1, topic: 'contract_test_events' }, { version: 2, topic: 'contract_test_events' }]);
    // A conflicting append leaves no outbox row behind.
    await expect(store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 1, events: [noted('late')] })).rejects.toBeInstanceOf(ConcurrencyConflictError);
    const after = await db.pool.query(`SELECT count(*)::int AS n FROM ${db.schema}.outbox WHERE aggregate_id = $1`, [id]);
    expect(after.rows[0].n).toBe(2);
  });

  it('appends inside a caller transaction; a duplicate there is a no-op and the transaction stays usable', async () => {
    const id = randomUUID();
    const events = [noted('x')];
    await store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 0, events });
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      expect((await store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 0, events, transaction: client })).duplicate).toBe(true);
      await store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 1, events: [noted('y')], transaction: client });
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect((await store.readStream(id)).map((e) => e.data['text'])).toEqual(['x', 'y']);
  });

  /**
   * A store on a schema (and NOTIFY channel) of its own, and a connection LISTENing on it: the
   * other tests' appends may still owe their channel a (folded) NOTIFY. `arrivals`: when each came.
   */
  async function storeOnOwnChannel(prefix: string) {
    const own = await createTestDatabase(prefix, 3);
    await migrateEventStore(own.pool, { schema: own.schema, partitions: 1 });
    const notifying = new PostgresEventStore(own.pool, { schema: own.schema, schemas: contractTestSchemas().schemas });
    const listener = new Client({ connectionString: testSettings().event_store.database_url });
    await listener.connect();
    const arrivals: number[] = [];
    listener.on('notification', (n) => n.channel === appendChannel(own.schema) && arrivals.push(performance.now()));
    await listener.query(`LISTEN ${appendChannel(own.schema)}`);
    return { own, notifying, listener, arrivals };
  }

  it('announces an append on its channel only once it is committed: at once, at the commit of a begin() transaction, or inside any other', async () => {
    const { own, notifying, listener, arrivals } = await storeOnOwnChannel('es_notify');
    const append = (transaction?: PoolClient) => notifying.append({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [noted('n')], transaction });
    try {
      await append();
      await waitFor('the NOTIFY of an append outside a transaction', () => arrivals.length === 1, { timeoutMs: 5_000 });

      // The commit is held back on purpose: a NOTIFY sent at append time would arrive first.
      const tracked = await own.pool.connect();
      let committedAt = 0;
      try {
        await begin(tracked);
        await append(tracked);
        await new Promise((r) => setTimeout(r, 150));
        committedAt = performance.now();
        await commit(tracked);
      } finally {
        tracked.release();
      }
      await waitFor('the NOTIFY after commit', () => arrivals.length === 2, { timeoutMs: 5_000 });
      expect(arrivals[1]).toBeGreaterThan(committedAt);

      const untracked = await own.pool.connect();
      try {
        await untracked.query('BEGIN');
        await append(untracked);
        await new Promise((r) => setTimeout(r, 150));
        committedAt = performance.now();
        await untracked.query('COMMIT');
      } finally {
        untracked.release();
      }
      await waitFor('the NOTIFY sent inside the untracked transaction', () => arrivals.length === 3, { timeoutMs: 5_000 });
      expect(arrivals[2]).toBeGreaterThan(committedAt);
    } finally {
      await listener.end();
      await own.dispose();
    }
  });

  it('wakes listeners of its own process by a call, and sends no NOTIFY while they serve every replica', async () => {
    const { own, notifying, listener, arrivals } = await storeOnOwnChannel('es_local_wake');
    const query = jest.spyOn(own.pool, 'query');
    const notifies = () => query.mock.calls.filter(([statement]) => String(statement).includes('pg_notify')).length;
    const append = () => notifying.append({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [noted('n')] });
    const wakes: string[] = [];
    let relayActive = false;
    const stopRunner = notifying.wakeOnAppend({ wake: () => wakes.push('runner'), servesAllReplicas: () => true });
    const stopRelay = notifying.wakeOnAppend({ wake: () => wakes.push('relay'), servesAllReplicas: () => relayActive });
    try {
      // A standby relay here: the active one, in another replica, needs the NOTIFY.
      await append();
      await waitFor('the NOTIFY for the other replica', () => arrivals.length === 1, { timeoutMs: 5_000 });
      expect(wakes).toEqual(['runner', 'relay']);

      relayActive = true;
      await append();
      await waitFor('both woken again', () => wakes.length === 4, { timeoutMs: 5_000 });
      expect(notifies()).toBe(1);

      stopRelay();
      stopRunner();
      await append();
      await waitFor('the NOTIFY once nobody here listens', () => arrivals.length === 2, { timeoutMs: 5_000 });
      expect(notifies()).toBe(2);
      expect(wakes).toHaveLength(4);
    } finally {
      await listener.end();
      await own.dispose();
    }
  });

  it('appends several events inside a caller transaction; a conflict there leaves the transaction usable', async () => {
    const id = randomUUID();
    await store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 0, events: [noted('a')] });
    await inTransaction(db.pool, async (tx) => {
      await expect(store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 0, events: [noted('b'), noted('c')], transaction: tx })).rejects.toBeInstanceOf(ConcurrencyConflictError);
      await store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 1, events: [noted('d'), noted('e')], transaction: tx });
    });
    expect((await store.readStream(id)).map((e) => e.data['text'])).toEqual(['a', 'd', 'e']);
  });

  describe('stage', () => {
    const staged = (transaction: PoolClient, text: string, publish = true) =>
      ({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [noted(text)] as [ReturnType<typeof noted>], publish, transaction });
    const textsOf = async (...ids: string[]) => Promise.all(ids.map(async (id) => (await store.readStream(id)).map((e) => e.data['text'])));
    const outboxOf = async (...ids: string[]) =>
      (await db.pool.query(`SELECT aggregate_id, version FROM ${db.schema}.outbox WHERE aggregate_id = ANY($1::uuid[]) ORDER BY id`, [ids])).rows.map((r) => ids.indexOf(r.aggregate_id));
    /** The statements `client` sends while `work` runs (those `counted` picks). */
    const statementsDuring = async (client: PoolClient, work: () => Promise<unknown>, counted: (statement: unknown) => boolean = () => true) => {
      const query = client.query;
      let sent = 0;
      client.query = ((...args: Parameters<PoolClient['query']>) => (counted(args[0]) && sent++, query.apply(client, args))) as PoolClient['query'];
      try {
        await work();
      } finally {
        client.query = query;
      }
      return sent;
    };

    it('writes staged appends in the statement of the transaction’s next append, one round trip for all', async () => {
      const main = randomUUID();
      const tx = await db.pool.connect();
      const first = staged(tx, 'staged 1');
      const second = staged(tx, 'staged 2, not published', false);
      try {
        await begin(tx);
        expect(await statementsDuring(tx, () => Promise.all([store.stage(first), store.stage(second)]))).toBe(0);
        let result: Awaited<ReturnType<PostgresEventStore['append']>> | undefined;
        const sent = await statementsDuring(tx, async () => (result = await store.append({ aggregateId: main, aggregateType: 'Note', expectedVersion: 0, events: [noted('main')], transaction: tx })));
        expect(sent).toBe(1);
        expect(result).toEqual({ version: 1, duplicate: false, positions: [expect.any(BigInt)] });
        // Nothing is left to write at commit.
        expect(await statementsDuring(tx, () => commit(tx))).toBe(1);
      } finally {
        tx.release();
      }
      expect(await textsOf(first.aggregateId, second.aggregateId, main)).toEqual([['staged 1'], ['staged 2, not published'], ['main']]);
      // Outbox rows in staging order, this append last; none for the unpublished one.
      expect(await outboxOf(first.aggregateId, second.aggregateId, main)).toEqual([0, 2]);
    });

    it('writes staged appends on their own before an append they cannot share a statement with', async () => {
      const main = randomUUID();
      let first: ReturnType<typeof staged> | undefined;
      await inTransaction(db.pool, async (tx) => {
        first = staged(tx, 'staged');
        await store.stage(first);
        // The staged one, then this append as always (its SAVEPOINT and RELEASE ride with statements).
        const appends = (statement: unknown) => String((statement as { name?: string }).name).startsWith('causeway_append');
        expect(await statementsDuring(tx, () => store.append({ aggregateId: main, aggregateType: 'Note', expectedVersion: 0, events: [noted('a'), noted('b')], transaction: tx }), appends)).toBe(2);
      });
      expect(await textsOf(first!.aggregateId, main)).toEqual([['staged'], ['a', 'b']]);
    });

    it('keeps the transaction usable when the append a staged one rides with conflicts: the staged one stays written, as if appended when staged', async () => {
      const taken = randomUUID();
      await store.append({ aggregateId: taken, aggregateType: 'Note', expectedVersion: 0, events: [noted('first')] });
      let rider: ReturnType<typeof staged> | undefined;
      await inTransaction(db.pool, async (tx) => {
        rider = staged(tx, 'rider');
        await store.stage(rider);
        await expect(store.append({ aggregateId: taken, aggregateType: 'Note', expectedVersion: 0, events: [noted('late')], transaction: tx })).rejects.toBeInstanceOf(ConcurrencyConflictError);
      });
      expect(await textsOf(rider!.aggregateId, taken)).toEqual([['rider'], ['first']]);
    });

    it('writes what no append took along just before the commit; a rollback drops it, also from the connection’s next transaction', async () => {
      const client = await db.pool.connect();
      try {
        await begin(client);
        const kept = staged(client, 'kept');
        await store.stage(kept);
        await commit(client);
        expect(await textsOf(kept.aggregateId)).toEqual([['kept']]);

        await begin(client);
        const dropped = staged(client, 'dropped');
        await store.stage(dropped);
        await rollback(client);
        await begin(client);
        const next = staged(client, 'next');
        await store.stage(next);
        await commit(client);
        expect(await textsOf(dropped.aggregateId, next.aggregateId)).toEqual([[], ['next']]);
      } finally {
        client.release();
      }
    });

    it('fails the commit when a staged append conflicts there, and rejects a bad payload or several events when staged', async () => {
      const taken = randomUUID();
      await store.append({ aggregateId: taken, aggregateType: 'Note', expectedVersion: 0, events: [noted('first')] });
      await expect(
        inTransaction(db.pool, async (tx) => {
          await expect(store.stage({ ...staged(tx, 'x'), events: [{ ...noted('x'), data: { text: 42 } }] })).rejects.toThrow();
          const two = [noted('a'), noted('b')] as unknown as [ReturnType<typeof noted>];
          await expect(store.stage({ ...staged(tx, 'x'), events: two })).rejects.toThrow('a staged append is one event, not 2');
          await store.stage({ ...staged(tx, 'late'), aggregateId: taken });
        }),
      ).rejects.toBeInstanceOf(ConcurrencyConflictError);
      expect(await textsOf(taken)).toEqual([['first']]);
    });

    it('appends at once in a transaction whose commit it cannot observe', async () => {
      const client = await db.pool.connect();
      try {
        await client.query('BEGIN');
        const request = staged(client, 'at once');
        await store.stage(request);
        expect((await store.readStream(request.aggregateId, 0, client)).map((e) => e.data['text'])).toEqual(['at once']);
        await client.query('COMMIT');
        expect(await textsOf(request.aggregateId)).toEqual([['at once']]);
      } finally {
        client.release();
      }
    });
  });

  it('never lets a reader tailing by position skip an event whose transaction commits late', async () => {
    let checkpoint: Checkpoint = START;
    for (let r = await store.readAll(checkpoint, 10_000); r.events.length > 0; r = await store.readAll(checkpoint, 10_000)) checkpoint = r.checkpoint;

    const seen = new Map<string, number>();
    let tailing = true;
    const tail = (async () => {
      while (tailing) {
        const { events, checkpoint: next } = await store.readAll(checkpoint, 100);
        events.forEach((e: StoredEvent) => seen.set(e.eventId, (seen.get(e.eventId) ?? 0) + 1));
        checkpoint = next;
        if (events.length === 0) await new Promise((r) => setTimeout(r, 5));
      }
    })();

    // Writers that take their positions early and commit late, interleaved with fast writers:
    // a position-only reader would see position N+1 and skip N for good.
    const written: string[] = [];
    const slowWriter = async (i: number) => {
      const client = await db.pool.connect();
      try {
        await client.query('BEGIN');
        const e = noted(`slow-${i}`);
        await store.append({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [e], transaction: client });
        await new Promise((r) => setTimeout(r, 20 + (i % 5) * 15));
        await client.query('COMMIT');
        written.push(e.eventId);
      } finally {
        client.release();
      }
    };
    const fastWriter = async (i: number) => {
      const e = noted(`fast-${i}`);
      await store.append({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [e] });
      written.push(e.eventId);
    };
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? slowWriter(i) : fastWriter(i))));

    await waitFor('the tailing reader to see every event', () => written.every((id) => seen.has(id)), { timeoutMs: 10_000 });
    tailing = false;
    await tail;
    expect(written).toHaveLength(40);
    for (const id of written) expect(seen.get(id)).toBe(1);
  });

  it('reads inside the caller’s transaction when given one: with every pool connection held by transactions, reads still complete', async () => {
    const single = new Pool({ connectionString: testSettings().event_store.database_url, max: 1 });
    const narrow = new PostgresEventStore(single, { schema: db.schema, schemas: contractTestSchemas().schemas });
    const id = randomUUID();
    await narrow.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 0, events: [noted('a'), noted('b')] });
    try {
      // The one connection is the transaction's: a read that asked the pool for another would wait forever.
      const read = inTransaction(single, async (tx) => {
        const stream = await narrow.readStream(id, 0, tx);
        const history = await narrow.loadAggregate(id, { aggregateType: 'Note', schemaVersion: 1 }, tx);
        await narrow.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 2, events: [noted('c')], transaction: tx });
        const own = await narrow.readStream(id, 2, tx); // its own uncommitted write, too
        const all = await narrow.readAll(START, 10_000, tx);
        return { stream: stream.length, replayed: history.events.length, own: own.map((e) => e.data['text']), all: all.events.length > 0 };
      });
      const deadline = new Promise((_, reject) => setTimeout(() => reject(new Error('a read waited for a second connection')), 5_000).unref());
      expect(await Promise.race([read, deadline])).toEqual({ stream: 2, replayed: 2, own: ['c'], all: true });
    } finally {
      await single.end();
    }
  });

  it('holds an event back behind an older writing transaction in its own database, not behind one in another database', async () => {
    /** A transaction with an id, left open on a connection of its own to `database`. */
    const openWriter = async (database: string) => {
      const url = new URL(testSettings().event_store.database_url);
      url.pathname = `/${database}`;
      const client = new Client({ connectionString: url.toString() });
      await client.connect();
      await client.query('BEGIN');
      await client.query('SELECT pg_current_xact_id()');
      return { end: async () => (await client.query('COMMIT'), await client.end()) };
    };
    let checkpoint: Checkpoint = START;
    for (let r = await store.readAll(checkpoint, 10_000); r.events.length > 0; r = await store.readAll(checkpoint, 10_000)) checkpoint = r.checkpoint;
    const readIds = async () => (await store.readAll(checkpoint, 100)).events.map((e) => e.eventId);
    const readHeldBack = async () => (await store.readAll(checkpoint, 100)).heldBack;

    const elsewhere = await openWriter('postgres');
    try {
      const e = noted('beside a transaction in another database');
      await store.append({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [e] });
      // Tests running beside this one write in this database and may hold it back a moment; the
      // transaction in the other database stays open throughout and must not.
      await waitFor('the event read past the open transaction in another database', async () => (await readIds()).includes(e.eventId), { timeoutMs: 10_000 });
      checkpoint = (await store.readAll(checkpoint, 100)).checkpoint;

      const here = await openWriter(new URL(testSettings().event_store.database_url).pathname.slice(1));
      const held = noted('behind a transaction in this database');
      try {
        await store.append({ aggregateId: randomUUID(), aggregateType: 'Note', expectedVersion: 0, events: [held] });
        // It may still append here with an older id, so nothing after it is final yet; the
        // reader is told so, for the transaction may end without an append to notify it.
        expect(await readIds()).toEqual([]);
        expect(await readHeldBack()).toBe(true);
      } finally {
        await here.end();
      }
      await waitFor('the event read once the transaction in this database ended', async () => (await readIds()).includes(held.eventId), { timeoutMs: 10_000 });
      checkpoint = (await store.readAll(checkpoint, 100)).checkpoint;
      await waitFor('nothing held back once every writer here ended', async () => (await readHeldBack()) === false, { timeoutMs: 10_000 });
    } finally {
      await elsewhere.end();
    }
  });
});

/**
 * A long stream alone in its partition, read on generic plans as services read (their pools
 * connect with GENERIC_PLAN_OPTIONS): the events after a snapshot come through the primary key.
 * Observed from PostgreSQL's own scan counters on the partition, on the one connection the store uses.
 */
describe('PostgresEventStore reads of a long stream (real PostgreSQL)', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  const id = randomUUID();
  let partition: string;

  beforeAll(async () => {
    db = await createTestDatabase('es_plans', 1);
    await migrateEventStore(db.pool, { schema: db.schema, partitions: 2 });
    store = new PostgresEventStore(db.pool, { schema: db.schema, schemas: contractTestSchemas().schemas });
    await db.pool.query(
      `INSERT INTO ${db.schema}.events (aggregate_id, version, event_id, event_type, aggregate_type, schema_version, data, metadata, occurred_at)
       SELECT $1, v, gen_random_uuid(), 'Noted', 'Note', 1, jsonb_build_object('text', repeat('x', 400)), $2::jsonb, now() FROM generate_series(1, 5000) v`,
      [id, JSON.stringify(noted('').metadata)],
    );
    await store.saveSnapshot({ aggregateId: id, aggregateType: 'Note', version: 4976, schemaVersion: 1, state: {} });
    await db.pool.query(`VACUUM ANALYZE ${db.schema}.events`);
    partition = (await db.pool.query(`SELECT tableoid::regclass::text AS p FROM ${db.schema}.events WHERE aggregate_id = $1 LIMIT 1`, [id])).rows[0].p;
  });
  afterAll(() => db.dispose());

  /** Sequential and index scans of the stream's partition caused by `read` (the pool has one connection). */
  const scansDuring = async (read: () => Promise<unknown>) => {
    const counters = async () => {
      await db.pool.query('SELECT pg_stat_force_next_flush()'); // this backend's counts so far, visible to the next statement
      const { rows } = await db.pool.query<{ seq: string; idx: string }>(`SELECT seq_scan AS seq, idx_scan AS idx FROM pg_stat_user_tables WHERE relid = $1::regclass`, [partition]);
      return { seq: Number(rows[0].seq), idx: Number(rows[0].idx) };
    };
    const before = await counters();
    await read();
    const after = await counters();
    return { seq: after.seq - before.seq, idx: after.idx - before.idx };
  };

  it('loads the snapshot and the 24 events after it without scanning the partition', async () => {
    for (let i = 0; i < 3; i++) {
      let history: Awaited<ReturnType<PostgresEventStore['loadAggregate']>> | undefined;
      expect(await scansDuring(async () => (history = await store.loadAggregate(id, { aggregateType: 'Note', schemaVersion: 1 })))).toEqual({ seq: 0, idx: 1 });
      expect(history?.snapshot?.version).toBe(4976);
      expect(history?.events.map((e) => e.version)).toEqual(Array.from({ length: 24 }, (_, k) => 4977 + k));
    }
  });

  it('reads a stream from a version without scanning the partition', async () => {
    for (let i = 0; i < 3; i++) {
      let events: StoredEvent[] = [];
      expect(await scansDuring(async () => (events = await store.readStream(id, 4990)))).toEqual({ seq: 0, idx: 1 });
      expect(events).toHaveLength(10);
    }
  });
});
