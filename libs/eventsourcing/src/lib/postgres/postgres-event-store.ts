import type { Pool, PoolClient } from 'pg';
import { ConcurrencyConflictError } from '../errors';
import type { AppendRequest, AppendResult, Checkpoint, EventSchemas, EventStore, ReadAllResult, Snapshot, StoredEvent } from '../event-store.port';
import { sqlIdentifier } from './sql-identifier';

export interface PostgresEventStoreOptions {
  schema: string;
  schemas: EventSchemas;
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
const COLUMNS = 'global_position, aggregate_id, version, event_id, event_type, aggregate_type, schema_version, data, metadata, occurred_at, transaction_id';

/**
 * PostgreSQL event store (ARCHITECTURE §3). An append is ONE statement: the events and their
 * outbox rows are inserted by a data-modifying CTE, atomically, in one round trip. Optimistic
 * concurrency is the primary key (aggregate_id, version); idempotency is the unique
 * (aggregate_id, event_id). Only when the statement fails does the store look further, to tell
 * a repeated append (a no-op) from a conflict.
 */
export class PostgresEventStore implements EventStore {
  private readonly s: string;
  private readonly appendSql: string;
  private readonly appendWithoutOutboxSql: string;

  constructor(
    private readonly pool: Pool,
    private readonly options: PostgresEventStoreOptions,
  ) {
    this.s = sqlIdentifier(options.schema);
    const s = this.s;
    // $1 aggregate_id, $2 aggregate_type, $3 expected version, then one array per column.
    // The WHERE clause refuses to leave a gap: version N+1 only if N exists (or N = 0).
    const insertEvents = `
      INSERT INTO ${s}.events (aggregate_id, version, event_id, event_type, aggregate_type, schema_version, data, metadata, occurred_at)
      SELECT $1::uuid, $3::int + e.ord::int, e.event_id, e.event_type, $2, e.schema_version, e.data, e.metadata, e.occurred_at
      FROM unnest($4::uuid[], $5::text[], $6::int[], $7::jsonb[], $8::jsonb[], $9::timestamptz[])
           WITH ORDINALITY AS e(event_id, event_type, schema_version, data, metadata, occurred_at, ord)
      WHERE $3::int = 0 OR EXISTS (SELECT 1 FROM ${s}.events WHERE aggregate_id = $1::uuid AND version = $3::int)
      ORDER BY e.ord
      RETURNING global_position, version`;
    this.appendWithoutOutboxSql = `WITH inserted AS (${insertEvents}) SELECT global_position FROM inserted ORDER BY version`;
    this.appendSql = `
      WITH inserted AS (${insertEvents}),
      outboxed AS (
        INSERT INTO ${s}.outbox (aggregate_id, version, topic)
        SELECT $1::uuid, i.version, t.topic
        FROM inserted i JOIN unnest($10::text[]) WITH ORDINALITY AS t(topic, ord) ON i.version = $3::int + t.ord::int
        ORDER BY i.version
      )
      SELECT global_position FROM inserted ORDER BY version`;
  }

  get schema(): string {
    return this.s;
  }

  /**
   * With `request.transaction` (a PoolClient inside BEGIN), appends as part of the caller's
   * transaction: a consumer records its inbox row and the events it caused in one commit.
   */
  async append(request: AppendRequest): Promise<AppendResult> {
    const db = (request.transaction as PoolClient | undefined) ?? this.pool;
    const { aggregateId, aggregateType, expectedVersion, events } = request;
    if (events.length === 0) return { version: expectedVersion, positions: [], duplicate: false };
    for (const event of events) this.options.schemas.validate(event.eventType, event.schemaVersion, event.data);
    const publish = request.publish ?? true;
    const now = new Date().toISOString();
    const params: unknown[] = [
      aggregateId,
      aggregateType,
      expectedVersion,
      events.map((e) => e.eventId),
      events.map((e) => e.eventType),
      events.map((e) => e.schemaVersion),
      events.map((e) => JSON.stringify(e.data)),
      events.map((e) => JSON.stringify(e.metadata)),
      events.map((e) => e.timestamp ?? now),
    ];
    if (publish) params.push(events.map((e) => this.options.schemas.topic(e.eventType)));

    const inTransaction = db !== this.pool;
    try {
      // Inside a caller's transaction a failed statement would abort it; a savepoint keeps the
      // transaction usable so the caller can still see a duplicate as a no-op.
      if (inTransaction) await db.query('SAVEPOINT causeway_append');
      const { rows } = await db.query<{ global_position: string }>(publish ? this.appendSql : this.appendWithoutOutboxSql, params);
      if (inTransaction) await db.query('RELEASE SAVEPOINT causeway_append');
      if (rows.length === events.length) {
        return { version: expectedVersion + events.length, positions: rows.map((r) => BigInt(r.global_position)), duplicate: false };
      }
    } catch (error) {
      if (inTransaction) await db.query('ROLLBACK TO SAVEPOINT causeway_append');
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    }
    return this.explainRejectedAppend(db, request);
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

  async readStream(aggregateId: string, afterVersion = 0): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${this.s}.events WHERE aggregate_id = $1 AND version > $2 ORDER BY version`,
      [aggregateId, afterVersion],
    );
    return rows.map((r) => this.toEvent(r));
  }

  /**
   * The global log in (transaction_id, global_position) order, holding back every event whose
   * transaction is not older than the oldest one still running. A transaction that took position
   * 10 but commits after position 11 was read is therefore never skipped: neither is returned
   * until both are visible (the xid-based approach Emmett and the PostgreSQL outbox literature use).
   */
  async readAll(checkpoint: Checkpoint, limit: number): Promise<ReadAllResult> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${this.s}.events
       WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)
         AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY transaction_id, global_position
       LIMIT $3`,
      [checkpoint.transactionId.toString(), checkpoint.position.toString(), limit],
    );
    const events = rows.map((r) => this.toEvent(r));
    const last = rows.at(-1);
    return { events, checkpoint: last ? { transactionId: BigInt(last.transaction_id), position: BigInt(last.global_position) } : checkpoint };
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
    await client.query('SAVEPOINT causeway_snapshot');
    try {
      await client.query(sql, params);
      await client.query('RELEASE SAVEPOINT causeway_snapshot');
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT causeway_snapshot');
      throw error;
    }
  }

  async loadSnapshot(aggregateId: string): Promise<Snapshot | undefined> {
    const { rows } = await this.pool.query<{ aggregate_type: string; version: number; schema_version: number; state: unknown }>(
      `SELECT aggregate_type, version, schema_version, state FROM ${this.s}.snapshots WHERE aggregate_id = $1`,
      [aggregateId],
    );
    const row = rows[0];
    return row && { aggregateId, aggregateType: row.aggregate_type, version: row.version, schemaVersion: row.schema_version, state: row.state };
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
