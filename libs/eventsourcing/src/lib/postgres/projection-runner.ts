import { Client, type ClientConfig, type Pool, type PoolClient } from 'pg';
import { START, type Checkpoint, type StoredEvent } from '../event-store.port';
import { appendChannel, type LocalAppendListener } from './append-notifier';
import { runMigrations } from './migrations';
import type { PostgresEventStore } from './postgres-event-store';
import { preparedStatement, type PreparedStatement } from './prepared-name';
import { sqlIdentifier } from './sql-identifier';
import { inTransaction } from './transaction';
import { WakeSignal } from './wake-signal';

/** How soon a runner reads again while events are held back behind an older transaction, doubling up to the most. */
const HELD_BACK_FIRST_RETRY_MS = 5;
const HELD_BACK_MAX_RETRY_MS = 100;
/** How soon a runner that lost its LISTEN connection opens another. */
const RELISTEN_DELAY_MS = 1_000;

/** A read model fed from the service's own event log. */
export interface Projection {
  readonly name: string;
  /** Applied in the transaction that also advances this projection's checkpoint: exactly once per event. */
  apply(event: StoredEvent, transaction: PoolClient): Promise<void>;
  /**
   * The batch is applied and about to commit: mark cached views stale here, so no read can cache
   * one older than the batch even if the process dies right after the commit. Must not throw
   * for an unavailable cache (the batch would roll back and the read model stall with it).
   */
  beforeCommit?(events: readonly StoredEvent[]): Promise<void>;
  /** After the batch committed: refresh views and the like. Failures here are reported, not retried. */
  afterCommit?(events: readonly StoredEvent[]): Promise<void>;
  /**
   * Empties the read model for a rebuild (Axon's reset handler, Marten's teardown), in the
   * transaction that rewinds the checkpoint: readers see the old model until it commits. A
   * projection without it cannot be rebuilt.
   */
  reset?(transaction: PoolClient): Promise<void>;
  /**
   * A rebuild has caught up with the log as it was when it started (committed): drop what was
   * derived from the old model outside the database, e.g. cached views, which the replay's
   * invalidations leave in place (it brings each view back to the version already cached).
   */
  afterRebuild?(): Promise<void>;
}

/** A rebuild that has caught up: reported in the transaction of its last batch. */
export interface ProjectionRebuild {
  projection: string;
  /** Events the rebuild applied, from the start of the log up to where it stood when the rebuild began. */
  eventsReplayed: number;
  startedAt: Date;
}

export interface ProjectionRunnerOptions {
  schema: string;
  batchSize: number;
  /** Fallback poll; appends wake the runner at once (AppendNotifier: by NOTIFY, or by a call in-process). */
  pollIntervalMs: number;
  onError?: (error: unknown, projection: string) => void;
  onProjected?: (projection: string, events: readonly StoredEvent[]) => void;
  /**
   * A rebuild caught up, inside the transaction of its last batch, which it fails if it throws:
   * a record of the rebuild written here (ProjectionRebuilt) commits with its end, or neither does.
   */
  onRebuilt?: (rebuild: ProjectionRebuild, transaction: PoolClient) => Promise<void>;
}

/** Where a projection stands, for lag metrics, the admin API and the CLI. */
export interface ProjectionStatus {
  name: string;
  checkpoint: Checkpoint;
  updatedAt: Date;
  /** Set while a rebuild runs: when it began, where it ends (the log's end then), how many events it has applied. */
  rebuild?: { startedAt: Date; until: Checkpoint; eventsReplayed: number };
}

/** Rebuilding a projection this runner does not have, or one that cannot be reset. */
export class ProjectionNotRebuildableError extends Error {
  constructor(
    readonly projection: string,
    reason: string,
  ) {
    super(`projection ${projection} cannot be rebuilt: ${reason}`);
    this.name = 'ProjectionNotRebuildableError';
  }
}

export async function migrateProjections(pool: Pool, schema: string): Promise<void> {
  await runMigrations(pool, schema, 'projections', [
    {
      id: 1,
      name: 'projection checkpoints',
      sql: (s) => `
        CREATE TABLE ${s}.projection_checkpoints (
          name           text        PRIMARY KEY,
          transaction_id xid8        NOT NULL DEFAULT '0',
          position       bigint      NOT NULL DEFAULT 0,
          updated_at     timestamptz NOT NULL DEFAULT now()
        );`,
    },
    {
      id: 2,
      name: 'projection rebuilds',
      // Stored, not held in memory: any replica running the projection finishes a rebuild,
      // after a restart too, and reports it once.
      sql: (s) => `
        ALTER TABLE ${s}.projection_checkpoints
          ADD COLUMN rebuild_started_at             timestamptz,
          ADD COLUMN rebuild_until_transaction_id   xid8,
          ADD COLUMN rebuild_until_position         bigint,
          ADD COLUMN rebuild_events_replayed        bigint NOT NULL DEFAULT 0;`,
    },
  ]);
}

/**
 * Catch-up subscription of projections to the event log (the Marten / Emmett model): each batch
 * is read after the projection's checkpoint with the store's commit-safe readAll, applied and
 * checkpointed in one transaction. The checkpoint row is locked for the batch, so replicas of a
 * service never apply the same event twice; a crash mid-batch rolls the batch back.
 *
 * Most wake-ups (every append in the database NOTIFYs every runner) find nothing new for a given
 * projection, so the runner first reads the log after the checkpoint it last committed, without
 * a transaction or a lock: one statement instead of four when there is nothing to do. Only with
 * events in hand does it lock the checkpoint; if another replica moved it meanwhile, it reads
 * again from there. What it remembers is trusted for one poll interval, so a checkpoint rewound
 * by hand (a replay) is picked up within that, with or without new events.
 */
export class ProjectionRunner implements LocalAppendListener {
  private readonly s: string;
  private readonly projections: Projection[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  private listener: Client | undefined;
  private relistenTimer: NodeJS.Timeout | undefined;
  private readonly wakeUp = new WakeSignal();
  private stopWaking: (() => void) | undefined;
  /** Per projection, the checkpoint this runner last committed or read under the lock, and when. */
  private readonly statements: Record<'lock' | 'advance', PreparedStatement>;
  private readonly known = new Map<string, { checkpoint: Checkpoint; at: number }>();

  constructor(
    private readonly pool: Pool,
    private readonly store: PostgresEventStore,
    private readonly listenConnection: ClientConfig,
    private readonly options: ProjectionRunnerOptions,
  ) {
    this.s = sqlIdentifier(options.schema);
    this.statements = {
      lock: preparedStatement(
        'checkpoint_lock',
        `SELECT ${CHECKPOINT_COLUMNS} FROM ${this.s}.projection_checkpoints WHERE name = $1 FOR UPDATE`,
      ),
      advance: preparedStatement('checkpoint_advance', `UPDATE ${this.s}.projection_checkpoints SET transaction_id = $2::text::xid8, position = $3, updated_at = now() WHERE name = $1`),
    };
  }

  /** The projections registered here, by name. */
  get names(): string[] {
    return this.projections.map((p) => p.name);
  }

  register(projection: Projection): this {
    this.projections.push(projection);
    return this;
  }

  async start(): Promise<void> {
    if (this.running) return;
    await this.addCheckpoints(this.pool, this.names);
    this.running = true;
    // Appends through this process's store wake it by a call; other replicas' by NOTIFY.
    this.stopWaking = this.store.wakeOnAppend(this);
    await this.listen();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopWaking?.();
    clearTimeout(this.relistenTimer);
    this.wakeUp.notify();
    await this.loop;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
  }

  /** Appends committed: project them now. */
  wake(): void {
    this.wakeUp.notify();
  }

  /** Any replica's running runner projects every event, whoever appended it. */
  servesAllReplicas(): boolean {
    return this.running;
  }

  async status(): Promise<ProjectionStatus[]> {
    const { rows } = await this.pool.query<CheckpointRow & { name: string; updated_at: Date }>(
      `SELECT name, updated_at, ${CHECKPOINT_COLUMNS} FROM ${this.s}.projection_checkpoints ORDER BY name`,
    );
    return rows.map((r) => {
      const rebuild = rebuildOf(r);
      return { name: r.name, checkpoint: checkpointOf(r), updatedAt: r.updated_at, ...(rebuild ? { rebuild } : {}) };
    });
  }

  /**
   * Rebuilds `name` from the start of the log: in one transaction, under the checkpoint's lock
   * (a batch in flight on any replica ends first), its read model is emptied (`reset`) and its
   * checkpoint rewound, with the log's end noted. Whichever replica runs the projection then
   * replays it, as it projects new events; the batch that passes the noted end reports the
   * rebuild (`onRebuilt`, in its transaction) and, committed, calls `afterRebuild`. Until then
   * the read model is partial and reads of it may wait (?minVersion) or miss; the status says
   * how far the rebuild is. An empty log is rebuilt at once.
   */
  async rebuild(name: string): Promise<ProjectionStatus> {
    const projection = this.projections.find((p) => p.name === name);
    if (!projection) throw new ProjectionNotRebuildableError(name, `this service has no such projection (it has: ${this.names.join(', ') || 'none'})`);
    const reset = projection.reset?.bind(projection);
    if (!reset) throw new ProjectionNotRebuildableError(name, 'it has no reset');
    const startedAt = new Date();
    const finished = await inTransaction(this.pool, async (tx) => {
      await this.addCheckpoints(tx, [name]);
      await tx.query({ ...this.statements.lock, values: [name] });
      await reset(tx);
      const { rows } = await tx.query<{ transaction_id: string; global_position: string }>(
        `SELECT transaction_id::text, global_position FROM ${this.s}.events ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
      );
      const end = rows[0];
      await tx.query(
        `UPDATE ${this.s}.projection_checkpoints
         SET transaction_id = '0', position = 0, updated_at = $2, rebuild_started_at = $2, rebuild_until_transaction_id = $3::text::xid8,
             rebuild_until_position = $4, rebuild_events_replayed = 0
         WHERE name = $1`,
        [name, startedAt, end?.transaction_id ?? null, end?.global_position ?? null],
      );
      if (end) return false;
      await this.endRebuild(tx, { projection: name, eventsReplayed: 0, startedAt });
      return true;
    });
    // Not trusted any more: the next batch reads the rewound checkpoint under the lock.
    this.known.delete(name);
    if (finished) await this.rebuilt(projection);
    this.wakeUp.notify();
    return (await this.status()).find((s) => s.name === name) as ProjectionStatus;
  }

  /** Projects everything committed so far (tests). */
  async catchUp(): Promise<void> {
    for (const projection of this.projections) while ((await this.projectBatch(projection)).projected > 0);
  }

  /**
   * LISTENs on a connection of its own, and again whenever that connection is lost (a database
   * restart, a failover): without NOTIFY the runner still works, but only on its polling interval.
   */
  private async listen(): Promise<void> {
    const client = new Client(this.listenConnection);
    client.on('notification', () => this.wakeUp.notify());
    client.on('error', (error) => this.options.onError?.(error, '(listener)'));
    client.on('end', () => {
      if (this.listener !== client) return; // stopped, or never listening
      this.listener = undefined;
      this.listenLater();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${appendChannel(this.s)}`);
      if (!this.running) {
        await client.end(); // stopped meanwhile
        return;
      }
      this.listener = client;
      // Appends made while nobody listened announced themselves to no one.
      this.wakeUp.notify();
    } catch (error) {
      this.options.onError?.(error, '(listener)');
      await client.end().catch(() => undefined);
      this.listenLater();
    }
  }

  private listenLater(): void {
    if (this.running) this.relistenTimer = setTimeout(() => void this.listen(), RELISTEN_DELAY_MS);
  }

  private async run(): Promise<void> {
    let heldBackRetryMs = HELD_BACK_FIRST_RETRY_MS;
    while (this.running) {
      let backlog = false;
      let heldBack = false;
      for (const projection of this.projections) {
        try {
          const batch = await this.projectBatch(projection);
          // A full batch means more may be waiting; a partial one read all there was, and the
          // next append's NOTIFY (or the poll) brings the runner back.
          backlog ||= batch.projected === this.options.batchSize;
          heldBack ||= batch.heldBack;
        } catch (error) {
          this.options.onError?.(error, projection.name);
        }
      }
      if (backlog) continue;
      // Events wait behind an older transaction, which may never NOTIFY (it need not append
      // here: a projection's own, an inbox write). Waiting for the poll would stall read-your-
      // writes for a whole interval; a few cheap reads until it ends do not.
      if (heldBack) {
        await this.wakeUp.wait(Math.min(heldBackRetryMs, this.options.pollIntervalMs));
        heldBackRetryMs = Math.min(heldBackRetryMs * 2, HELD_BACK_MAX_RETRY_MS);
      } else {
        heldBackRetryMs = HELD_BACK_FIRST_RETRY_MS;
        await this.wakeUp.wait(this.options.pollIntervalMs);
      }
    }
  }

  private async addCheckpoints(db: Pool | PoolClient, names: readonly string[]): Promise<void> {
    await db.query(`INSERT INTO ${this.s}.projection_checkpoints (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, [names]);
  }

  /** Counts a rebuild's batch; true when it reached the log's end as the rebuild began (then reported, in `tx`). */
  private async advanceRebuild(tx: PoolClient, name: string, rebuild: NonNullable<ProjectionStatus['rebuild']>, reached: Checkpoint, applied: number): Promise<boolean> {
    const eventsReplayed = rebuild.eventsReplayed + applied;
    if (!atOrAfter(reached, rebuild.until)) {
      await tx.query(`UPDATE ${this.s}.projection_checkpoints SET rebuild_events_replayed = $2 WHERE name = $1`, [name, eventsReplayed]);
      return false;
    }
    await this.endRebuild(tx, { projection: name, eventsReplayed, startedAt: rebuild.startedAt });
    return true;
  }

  private async endRebuild(tx: PoolClient, rebuild: ProjectionRebuild): Promise<void> {
    await tx.query(
      `UPDATE ${this.s}.projection_checkpoints
       SET rebuild_started_at = NULL, rebuild_until_transaction_id = NULL, rebuild_until_position = NULL, rebuild_events_replayed = 0
       WHERE name = $1`,
      [rebuild.projection],
    );
    await this.options.onRebuilt?.(rebuild, tx);
  }

  /** After the commit that ended a rebuild; a failure is reported, as for afterCommit. */
  private async rebuilt(projection: Projection): Promise<void> {
    await projection.afterRebuild?.().catch((error: unknown) => this.options.onError?.(error, projection.name));
  }

  private async projectBatch(projection: Projection): Promise<{ projected: number; heldBack: boolean }> {
    const known = this.known.get(projection.name);
    const trusted = known && Date.now() - known.at < this.options.pollIntervalMs ? known.checkpoint : undefined;
    const unlocked = trusted && (await this.store.readAll(trusted, this.options.batchSize));
    if (unlocked && unlocked.events.length === 0) return { projected: 0, heldBack: unlocked.heldBack === true };
    let rebuildEnded = false;
    const batch = await inTransaction(this.pool, async (tx) => {
      const { rows } = await tx.query<CheckpointRow>({ ...this.statements.lock, values: [projection.name] });
      const checkpoint = rows[0] ? checkpointOf(rows[0]) : START;
      const batch = unlocked && trusted && sameCheckpoint(checkpoint, trusted) ? unlocked : await this.store.readAll(checkpoint, this.options.batchSize, tx);
      for (const event of batch.events) await projection.apply(event, tx);
      if (batch.events.length > 0) {
        // Side by side: the hook's round trip (to Redis) costs the batch no time.
        await Promise.all([
          projection.beforeCommit?.(batch.events),
          tx.query({ ...this.statements.advance, values: [projection.name, batch.checkpoint.transactionId.toString(), batch.checkpoint.position.toString()] }),
        ]);
        const rebuild = rows[0] && rebuildOf(rows[0]);
        if (rebuild) rebuildEnded = await this.advanceRebuild(tx, projection.name, rebuild, batch.checkpoint, batch.events.length);
      }
      return batch;
    });
    if (rebuildEnded) await this.rebuilt(projection);
    // Committed (inTransaction threw otherwise): this is where the projection now stands.
    this.known.set(projection.name, { checkpoint: batch.checkpoint, at: Date.now() });
    const { events } = batch;
    const heldBack = batch.heldBack === true;
    if (events.length === 0) return { projected: 0, heldBack };
    this.options.onProjected?.(projection.name, events);
    await projection.afterCommit?.(events).catch((error: unknown) => this.options.onError?.(error, projection.name));
    return { projected: events.length, heldBack };
  }
}

function sameCheckpoint(a: Checkpoint, b: Checkpoint): boolean {
  return a.transactionId === b.transactionId && a.position === b.position;
}

/** `a` is at or after `b` in the log's (transaction id, position) order. */
function atOrAfter(a: Checkpoint, b: Checkpoint): boolean {
  return a.transactionId > b.transactionId || (a.transactionId === b.transactionId && a.position >= b.position);
}

/** A checkpoint row as CheckpointRow reads it: where the projection stands, and its rebuild if one runs. */
const CHECKPOINT_COLUMNS = `transaction_id::text, position, rebuild_started_at, rebuild_until_transaction_id::text AS rebuild_until_transaction_id,
  rebuild_until_position, rebuild_events_replayed`;

interface CheckpointRow {
  transaction_id: string;
  position: string;
  rebuild_started_at: Date | null;
  rebuild_until_transaction_id: string | null;
  rebuild_until_position: string | null;
  rebuild_events_replayed: string;
}

function checkpointOf(row: CheckpointRow): Checkpoint {
  return { transactionId: BigInt(row.transaction_id), position: BigInt(row.position) };
}

function rebuildOf(row: CheckpointRow): ProjectionStatus['rebuild'] {
  if (!row.rebuild_started_at || row.rebuild_until_transaction_id === null || row.rebuild_until_position === null) return undefined;
  return {
    startedAt: row.rebuild_started_at,
    until: { transactionId: BigInt(row.rebuild_until_transaction_id), position: BigInt(row.rebuild_until_position) },
    eventsReplayed: Number(row.rebuild_events_replayed),
  };
}
