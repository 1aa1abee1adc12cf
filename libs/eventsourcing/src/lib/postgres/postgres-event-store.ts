import type { Pool, PoolClient } from 'pg';
import { ConcurrencyConflictError } from '../errors';
import type { AggregateHistory, AppendRequest, AppendResult, Checkpoint, EventSchemas, EventStore, NewEvent, ReadAllResult, Snapshot, SnapshotKind, StagedAppend, StoredEvent } from '../event-store.port';
import { AppendNotifier, appendChannel, type LocalAppendListener } from './append-notifier';
import { preparedStatement, type PreparedStatement } from './prepared-name';
import { sqlIdentifier } from './sql-identifier';
import { afterCommit, beforeCommit, releaseSavepoint, savepoint, transactionKey } from './transaction';

export interface PostgresEventStoreOptions {
  schema: string;
  schemas: EventSchemas;
  /** Called with each append's events once they are committed (metrics); must not throw. */
  onCommitted?: (events: readonly NewEvent[]) => void;
}

interface EventRow {
  global_position: string;
  aggregate_id: string;
  version: number;
  event_id: string;
  event_type: string;
  aggregate_type: string;
  schema_version: number;
  data: Record<string, unknown>;
  metadata: StoredEvent['metadata'];
  occurred_at: Date;
  transaction_id: string;
}

const UNIQUE_VIOLATION = '23505';

/**
 * The transaction id below which every transaction that could still write to this database's
 * tables has ended, by the statement's snapshot: the oldest transaction it sees running, except
 * one still running now in another database (it can never write here), or the snapshot's xmax
 * when none is left. `pg_snapshot_xmin` alone counts the whole server, transaction ids being
 * server-wide: one long transaction in any other database (a report, a pg_dump) would stall every
 * projection here. The activity is read after the snapshot, so a transaction seen running in the
 * snapshot and gone from the activity is still counted: an error can only hold an event back,
 * never skip it. `backend_xid` and `datname` are visible to every role.
 */
const SETTLED_BELOW = `SELECT coalesce(min(running), pg_snapshot_xmax(pg_current_snapshot()))
  FROM pg_snapshot_xip(pg_current_snapshot()) AS running
  WHERE running::xid NOT IN (SELECT backend_xid FROM pg_stat_activity WHERE datname <> current_database() AND backend_xid IS NOT NULL)`;
const COLUMNS = 'global_position, aggregate_id, version, event_id, event_type, aggregate_type, schema_version, data, metadata, occurred_at, transaction_id';
/** The largest version a stream can reach: `events.version` is an integer column. */
const MAX_VERSION = 2_147_483_647;

/**
 * PostgreSQL event store (ARCHITECTURE §3). An append is ONE statement: the events and their
 * outbox rows are inserted by a data-modifying CTE, atomically, in one round trip, as a named
 * prepared statement (planned once per connection, not per call). Optimistic concurrency is the
 * primary key (aggregate_id, version); idempotency is the unique (aggregate_id, event_id). Only
 * when the statement inserts nothing does the store look further, to tell a repeated append (a
 * no-op) from a conflict.
 */
export class PostgresEventStore implements EventStore {
  private readonly s: string;
  private readonly statements: Record<'one' | 'oneInTransaction' | 'many', Record<'publish' | 'store', PreparedStatement>>;
  /** One event to each of several streams (a staged append and the append it rides with). */
  private readonly streamsStatement: PreparedStatement;
  /** Appends staged per open transaction (keyed by `transactionKey`, so none outlives it). */
  private readonly staged = new WeakMap<object, StagedAppend[]>();
  private readonly reads: Record<'stream' | 'aggregate' | 'all' | 'snapshot', PreparedStatement>;
  private readonly notifier: AppendNotifier;

  constructor(
    private readonly pool: Pool,
    private readonly options: PostgresEventStoreOptions,
  ) {
    this.s = sqlIdentifier(options.schema);
    this.notifier = new AppendNotifier(pool, appendChannel(this.s));
    const s = this.s;
    // $1 aggregate_id, $2 aggregate_type, $3 expected version. The WHERE clause refuses to leave
    // a gap: version N+1 only if N exists (or N = 0).
    const noGap = `WHERE $3::int = 0 OR EXISTS (SELECT 1 FROM ${s}.events WHERE aggregate_id = $1::uuid AND version = $3::int)`;
    const columns = 'aggregate_id, version, event_id, event_type, aggregate_type, schema_version, data, metadata, occurred_at';
    // Most commands record one event: scalar parameters, no unnest. $4–$9 the event's columns,
    // $10 its topic. Inside a caller's transaction a failing statement would abort it, so there
    // a conflict inserts nothing instead (one row cannot be inserted in part) and no savepoint is
    // needed; outside one the plain INSERT is cheaper (no speculative insertion) and a conflict
    // simply fails the statement.
    const insertOne = (onConflict: string) => `
      INSERT INTO ${s}.events (${columns})
      SELECT $1::uuid, $3::int + 1, $4::uuid, $5::text, $2::text, $6::int, $7::jsonb, $8::jsonb, $9::timestamptz
      ${noGap}
      ${onConflict}
      RETURNING global_position, version`;
    // Several events: one array per column. Here a conflict must fail the whole statement
    // (ON CONFLICT DO NOTHING could keep some of the rows): in a caller's transaction, under a savepoint.
    const insertMany = `
      INSERT INTO ${s}.events (${columns})
      SELECT $1::uuid, $3::int + e.ord::int, e.event_id, e.event_type, $2, e.schema_version, e.data, e.metadata, e.occurred_at
      FROM unnest($4::uuid[], $5::text[], $6::int[], $7::jsonb[], $8::jsonb[], $9::timestamptz[])
           WITH ORDINALITY AS e(event_id, event_type, schema_version, data, metadata, occurred_at, ord)
      ${noGap}
      ORDER BY e.ord
      RETURNING global_position, version`;
    const outboxOne = `INSERT INTO ${s}.outbox (aggregate_id, version, topic) SELECT $1::uuid, i.version, $10::text FROM inserted i`;
    const outboxMany = `
        INSERT INTO ${s}.outbox (aggregate_id, version, topic)
        SELECT $1::uuid, i.version, t.topic
        FROM inserted i JOIN unnest($10::text[]) WITH ORDINALITY AS t(topic, ord) ON i.version = $3::int + t.ord::int
        ORDER BY i.version`;
    const statement = (name: string, insert: string, outbox?: string): PreparedStatement => {
      const text = outbox
        ? `WITH inserted AS (${insert}), outboxed AS (${outbox}) SELECT global_position FROM inserted ORDER BY version`
        : `WITH inserted AS (${insert}) SELECT global_position FROM inserted ORDER BY version`;
      return preparedStatement(`append_${name}`, text);
    };
    this.statements = {
      one: { publish: statement('one_outbox', insertOne(''), outboxOne), store: statement('one', insertOne('')) },
      oneInTransaction: { publish: statement('one_tx_outbox', insertOne('ON CONFLICT DO NOTHING'), outboxOne), store: statement('one_tx', insertOne('ON CONFLICT DO NOTHING')) },
      many: { publish: statement('many_outbox', insertMany, outboxMany), store: statement('many', insertMany) },
    };
    // One row per stream, each with its own expected version; ON CONFLICT DO NOTHING, as one
    // row cannot be inserted in part: a stream it leaves out is explained afterwards, one by
    // one. A NULL topic is an event not to publish.
    this.streamsStatement = preparedStatement(
      'append_streams',
      `WITH inserted AS (
         INSERT INTO ${s}.events (${columns})
         SELECT e.aggregate_id, e.expected + 1, e.event_id, e.event_type, e.aggregate_type, e.schema_version, e.data, e.metadata, e.occurred_at
         FROM unnest($1::uuid[], $2::text[], $3::int[], $4::uuid[], $5::text[], $6::int[], $7::jsonb[], $8::jsonb[], $9::timestamptz[])
              WITH ORDINALITY AS e(aggregate_id, aggregate_type, expected, event_id, event_type, schema_version, data, metadata, occurred_at, ord)
         WHERE e.expected = 0 OR EXISTS (SELECT 1 FROM ${s}.events x WHERE x.aggregate_id = e.aggregate_id AND x.version = e.expected)
         ORDER BY e.ord
         ON CONFLICT DO NOTHING
         RETURNING aggregate_id, global_position, version
       ), outboxed AS (
         INSERT INTO ${s}.outbox (aggregate_id, version, topic)
         SELECT i.aggregate_id, i.version, t.topic
         FROM inserted i JOIN unnest($1::uuid[], $10::text[]) AS t(aggregate_id, topic) ON t.aggregate_id = i.aggregate_id
         WHERE t.topic IS NOT NULL
         ORDER BY i.global_position
       )
       SELECT aggregate_id, global_position FROM inserted`,
    );
    const read = (name: string, text: string) => preparedStatement(`read_${name}`, text);
    // "version > x" with x unknown when the plan is made (a generic plan's parameter, or the
    // snapshot's version read in the same statement) is estimated at a third of the stream; where
    // one long stream fills most of its partition, the planner then scans the whole partition
    // (1.3 ms, or 9 ms in parallel, against 0.05 ms through the primary key for the 24 events
    // after a snapshot of a 10,000-event stream). Bounded on both sides, the range counts as
    // narrow (PostgreSQL's default range selectivity, 0.5%) and the primary key is used.
    const laterVersions = (after: string) => `version > ${after} AND version <= ${MAX_VERSION}`;
    this.reads = {
      stream: read('stream', `SELECT ${COLUMNS} FROM ${s}.events WHERE aggregate_id = $1 AND ${laterVersions('$2')} ORDER BY version`),
      // The usable snapshot as a first row (its state in `data`, `snapshot` true), then the
      // events after it, replay columns only: one round trip and one plan where a repository
      // used to need two.
      aggregate: read(
        'aggregate',
        `WITH snapshot AS MATERIALIZED (
           SELECT version, state FROM ${s}.snapshots WHERE aggregate_id = $1 AND aggregate_type = $2 AND schema_version = $3
         )
         SELECT true AS snapshot, version, NULL::text AS event_type, NULL::integer AS schema_version, state AS data FROM snapshot
         UNION ALL
         SELECT false, version, event_type, schema_version, data FROM ${s}.events
         WHERE aggregate_id = $1 AND ${laterVersions('coalesce((SELECT version FROM snapshot), 0)')}
         ORDER BY version`,
      ),
      all: read(
        'all',
        // Settled events sort before the held-back ones: one row past the limit tells which case it is.
        `SELECT ${COLUMNS}, transaction_id < settled.below AS settled
         FROM ${s}.events, (${SETTLED_BELOW}) AS settled (below)
         WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)
         ORDER BY transaction_id, global_position
         LIMIT $3::int + 1`,
      ),
      snapshot: read('snapshot', `SELECT aggregate_type, version, schema_version, state FROM ${s}.snapshots WHERE aggregate_id = $1`),
    };
  }

  get schema(): string {
    return this.s;
  }

  /**
   * Wakes `listener`, a relay or projection runner of this process, when appends commit: by a
   * call, not through the database (see AppendNotifier). Returns what stops it.
   */
  wakeOnAppend(listener: LocalAppendListener): () => void {
    return this.notifier.addLocal(listener);
  }

  /**
   * With `request.transaction` (a PoolClient inside BEGIN), appends as part of the caller's
   * transaction: a consumer records its inbox row and the events it caused in one commit.
   */
  async append(request: AppendRequest): Promise<AppendResult> {
    const tx = request.transaction as PoolClient | undefined;
    const db = tx ?? this.pool;
    const { aggregateId, aggregateType, expectedVersion, events } = request;
    if (events.length === 0) return { version: expectedVersion, positions: [], duplicate: false };
    this.validate(events);
    const staged = tx && this.takeStaged(tx);
    if (staged) {
      // In staging order, this append last: positions as if each had been appended when staged.
      const together = [...staged, request as StagedAppend];
      const oneRowPerStream = events.length === 1 && new Set(together.map((r) => r.aggregateId.toLowerCase())).size === together.length;
      if (oneRowPerStream) return (await this.appendStreams(tx, together)).at(-1) as AppendResult;
      await this.appendStreams(tx, staged);
    }
    const publish = request.publish ?? true;
    const single = events.length === 1;
    const statement = this.statements[single ? (tx ? 'oneInTransaction' : 'one') : 'many'][publish ? 'publish' : 'store'];
    const now = new Date().toISOString();
    const column = <T>(pick: (e: NewEvent) => T) => (single ? pick(events[0]) : events.map(pick));
    const values: unknown[] = [
      aggregateId,
      aggregateType,
      expectedVersion,
      column((e) => e.eventId),
      column((e) => e.eventType),
      column((e) => e.schemaVersion),
      column((e) => JSON.stringify(e.data)),
      column((e) => JSON.stringify(e.metadata)),
      column((e) => e.timestamp ?? now),
    ];
    if (publish) values.push(column((e) => this.options.schemas.topic(e.eventType)));

    // Inside a caller's transaction a failing statement would abort it; a savepoint keeps the
    // transaction usable so the caller can still see a duplicate as a no-op. The one-event
    // statement for transactions does not fail on a conflict, so it needs none.
    const underSavepoint = tx !== undefined && !single;
    try {
      // Both sent with the next statement: the INSERT carries the SAVEPOINT, whatever follows the RELEASE.
      if (underSavepoint) await savepoint(db as PoolClient, 'causeway_append');
      const { rows } = await db.query<{ global_position: string }>({ ...statement, values });
      if (underSavepoint) await releaseSavepoint(db as PoolClient, 'causeway_append');
      if (rows.length === events.length) {
        await this.whenCommitted(tx, events);
        return { version: expectedVersion + events.length, positions: rows.map((r) => BigInt(r.global_position)), duplicate: false };
      }
    } catch (error) {
      if (underSavepoint) await db.query('ROLLBACK TO SAVEPOINT causeway_append');
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    }
    return this.explainRejectedAppend(db, request);
  }

  async stage(request: StagedAppend): Promise<void> {
    const tx = request.transaction as PoolClient;
    if (request.events.length !== 1) throw new Error(`a staged append is one event, not ${request.events.length}`);
    // Checked now: a bad payload fails where it was made, not in a later append.
    this.validate(request.events);
    const key = transactionKey(tx);
    if (!key) {
      await this.append(request);
      return;
    }
    const staged = this.staged.get(key);
    if (staged) {
      staged.push(request);
      return;
    }
    this.staged.set(key, [request]);
    // Whatever no append took along by then is written just before the commit.
    beforeCommit(tx, async () => {
      const left = this.takeStaged(tx);
      if (left) await this.appendStreams(tx, left);
    });
  }

  private takeStaged(tx: PoolClient): StagedAppend[] | undefined {
    const key = transactionKey(tx);
    const staged = key && this.staged.get(key);
    if (!key || !staged?.length) return undefined;
    // Left empty, not deleted: the transaction's before-commit hook is registered once.
    this.staged.set(key, []);
    return staged;
  }

  /**
   * One event to each of `requests`' streams (distinct), in one statement inside `tx`. A stream
   * it left out is explained like any rejected append: a repeat (a no-op) or a conflict (thrown).
   */
  private async appendStreams(tx: PoolClient, requests: readonly StagedAppend[]): Promise<AppendResult[]> {
    const now = new Date().toISOString();
    const column = <T>(pick: (r: StagedAppend, e: NewEvent) => T) => requests.map((r) => pick(r, r.events[0]));
    const values = [
      column((r) => r.aggregateId),
      column((r) => r.aggregateType),
      column((r) => r.expectedVersion),
      column((_, e) => e.eventId),
      column((_, e) => e.eventType),
      column((_, e) => e.schemaVersion),
      column((_, e) => JSON.stringify(e.data)),
      column((_, e) => JSON.stringify(e.metadata)),
      column((_, e) => e.timestamp ?? now),
      column((r, e) => ((r.publish ?? true) ? this.options.schemas.topic(e.eventType) : null)),
    ];
    const { rows } = await tx.query<{ aggregate_id: string; global_position: string }>({ ...this.streamsStatement, values });
    const positions = new Map(rows.map((r) => [r.aggregate_id, BigInt(r.global_position)]));
    const positionOf = (request: StagedAppend) => positions.get(request.aggregateId.toLowerCase());
    // Announced before a conflict is thrown: a caller may catch it and commit the rest.
    if (rows.length > 0) await this.whenCommitted(tx, requests.filter((r) => positionOf(r) !== undefined).map((r) => r.events[0]));
    const results: AppendResult[] = [];
    for (const request of requests) {
      const position = positionOf(request);
      results.push(position === undefined ? await this.explainRejectedAppend(tx, request) : { version: request.expectedVersion + 1, positions: [position], duplicate: false });
    }
    return results;
  }

  private validate(events: readonly NewEvent[]): void {
    for (const event of events) this.options.schemas.validate(event.eventType, event.schemaVersion, event.data);
  }

  /**
   * Once the append is committed (now, or when the caller's `begin()` transaction commits):
   * wakes the relay and projection runners, and reports the events. A transaction opened
   * outside `begin` cannot be observed; then the NOTIFY goes inside it (transactional, at the
   * cost of the commit lock) and the report is made at once.
   */
  private async whenCommitted(tx: PoolClient | undefined, events: readonly NewEvent[]): Promise<void> {
    const committed = () => {
      this.notifier.notify();
      this.options.onCommitted?.(events);
    };
    if (!tx) return committed();
    if (afterCommit(tx, committed)) return;
    await tx.query("SELECT pg_notify($1, '')", [appendChannel(this.s)]);
    this.options.onCommitted?.(events);
  }

  /** The append inserted nothing: either it already happened (same eventIds) or someone else wrote first. */
  private async explainRejectedAppend(db: Pool | PoolClient, request: AppendRequest): Promise<AppendResult> {
    const { aggregateId, expectedVersion, events } = request;
    const { rows } = await db.query<{ event_id: string; global_position: string; version: number; current: number }>(
      `SELECT e.event_id, e.global_position, e.version,
              (SELECT coalesce(max(version), 0) FROM ${this.s}.events WHERE aggregate_id = $1) AS current
       FROM ${this.s}.events e WHERE e.aggregate_id = $1 AND e.event_id = ANY($2::uuid[]) ORDER BY e.version`,
      [aggregateId, events.map((e) => e.eventId)],
    );
    if (rows.length === events.length) {
      return { version: rows[0].current, positions: rows.map((r) => BigInt(r.global_position)), duplicate: true };
    }
    const actual = rows[0]?.current ?? (await this.currentVersion(db, aggregateId));
    throw new ConcurrencyConflictError(aggregateId, expectedVersion, actual);
  }

  private async currentVersion(db: Pool | PoolClient, aggregateId: string): Promise<number> {
    const { rows } = await db.query<{ v: number }>(`SELECT coalesce(max(version), 0) AS v FROM ${this.s}.events WHERE aggregate_id = $1`, [aggregateId]);
    return rows[0].v;
  }

  async readStream(aggregateId: string, afterVersion = 0, transaction?: unknown): Promise<StoredEvent[]> {
    const { rows } = await this.db(transaction).query<EventRow>({ ...this.reads.stream, values: [aggregateId, afterVersion] });
    return rows.map((r) => this.toEvent(r));
  }

  async loadAggregate(aggregateId: string, kind: SnapshotKind, transaction?: unknown): Promise<AggregateHistory> {
    const { rows } = await this.db(transaction).query<{ snapshot: boolean; version: number; event_type: string; schema_version: number; data: Record<string, unknown> }>({
      ...this.reads.aggregate,
      values: [aggregateId, kind.aggregateType, kind.schemaVersion],
    });
    const first = rows[0];
    const snapshot = first?.snapshot ? { aggregateId, aggregateType: kind.aggregateType, version: first.version, schemaVersion: kind.schemaVersion, state: first.data } : undefined;
    const events = (snapshot ? rows.slice(1) : rows).map((row) => {
      const current = this.options.schemas.upcast(row.event_type, row.schema_version, row.data);
      return { eventType: row.event_type, version: row.version, schemaVersion: current.schemaVersion, data: current.data };
    });
    return snapshot ? { snapshot, events } : { events };
  }

  /**
   * The global log in (transaction_id, global_position) order, holding back every event whose
   * transaction is not older than the oldest one still running in this database (SETTLED_BELOW).
   * A transaction that took position 10 but commits after position 11 was read is therefore
   * never skipped: neither is returned until both are visible (the xid-based approach Emmett and
   * the PostgreSQL outbox literature use).
   */
  async readAll(checkpoint: Checkpoint, limit: number, transaction?: unknown): Promise<ReadAllResult> {
    const { rows } = await this.db(transaction).query<EventRow & { settled: boolean }>({
      ...this.reads.all,
      values: [checkpoint.transactionId.toString(), checkpoint.position.toString(), limit],
    });
    const firstHeld = rows.findIndex((r) => !r.settled);
    const settled = rows.slice(0, Math.min(limit, firstHeld < 0 ? rows.length : firstHeld));
    const last = settled.at(-1);
    return {
      events: settled.map((r) => this.toEvent(r)),
      checkpoint: last ? { transactionId: BigInt(last.transaction_id), position: BigInt(last.global_position) } : checkpoint,
      heldBack: firstHeld >= 0,
    };
  }

  async saveSnapshot(snapshot: Snapshot, transaction?: unknown): Promise<void> {
    const sql = `INSERT INTO ${this.s}.snapshots (aggregate_id, aggregate_type, version, schema_version, state)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (aggregate_id) DO UPDATE
         SET aggregate_type = EXCLUDED.aggregate_type, version = EXCLUDED.version, schema_version = EXCLUDED.schema_version,
             state = EXCLUDED.state, taken_at = now()
         WHERE ${this.s}.snapshots.version < EXCLUDED.version`;
    const params = [snapshot.aggregateId, snapshot.aggregateType, snapshot.version, snapshot.schemaVersion, JSON.stringify(snapshot.state)];
    if (!transaction) {
      await this.pool.query(sql, params);
      return;
    }
    // In the caller's transaction: a failed snapshot must not abort the events' commit.
    const client = transaction as PoolClient;
    await savepoint(client, 'causeway_snapshot');
    try {
      await client.query(sql, params);
      await releaseSavepoint(client, 'causeway_snapshot');
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT causeway_snapshot');
      throw error;
    }
  }

  async loadSnapshot(aggregateId: string): Promise<Snapshot | undefined> {
    const { rows } = await this.pool.query<{ aggregate_type: string; version: number; schema_version: number; state: unknown }>({ ...this.reads.snapshot, values: [aggregateId] });
    const row = rows[0];
    return row && { aggregateId, aggregateType: row.aggregate_type, version: row.version, schemaVersion: row.schema_version, state: row.state };
  }

  /** The caller's transaction when it has one, never a second connection beside it (see EventStore). */
  private db(transaction: unknown): Pool | PoolClient {
    return (transaction as PoolClient | undefined) ?? this.pool;
  }

  private toEvent(row: EventRow): StoredEvent {
    const current = this.options.schemas.upcast(row.event_type, row.schema_version, row.data);
    return {
      eventId: row.event_id,
      eventType: row.event_type,
      aggregateType: row.aggregate_type,
      aggregateId: row.aggregate_id,
      version: row.version,
      timestamp: row.occurred_at.toISOString(),
      schemaVersion: current.schemaVersion,
      data: current.data,
      metadata: row.metadata,
      position: BigInt(row.global_position),
    };
  }
}
