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
}

export interface ProjectionRunnerOptions {
  schema: string;
  batchSize: number;
  /** Fallback poll; appends wake the runner at once (AppendNotifier: by NOTIFY, or by a call in-process). */
  pollIntervalMs: number;
  onError?: (error: unknown, projection: string) => void;
  onProjected?: (projection: string, events: readonly StoredEvent[]) => void;
}

/** Where a projection stands, for lag metrics and the inspection page. */
export interface ProjectionStatus {
  name: string;
  checkpoint: Checkpoint;
  updatedAt: Date;
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
      lock: preparedStatement('checkpoint_lock', `SELECT transaction_id::text, position FROM ${this.s}.projection_checkpoints WHERE name = $1 FOR UPDATE`),
      advance: preparedStatement('checkpoint_advance', `UPDATE ${this.s}.projection_checkpoints SET transaction_id = $2::text::xid8, position = $3, updated_at = now() WHERE name = $1`),
    };
  }

  register(projection: Projection): this {
    this.projections.push(projection);
    return this;
  }

  async start(): Promise<void> {
    if (this.running) return;
    await this.pool.query(
      `INSERT INTO ${this.s}.projection_checkpoints (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`,
      [this.projections.map((p) => p.name)],
    );
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
    const { rows } = await this.pool.query<{ name: string; transaction_id: string; position: string; updated_at: Date }>(
      `SELECT name, transaction_id::text, position, updated_at FROM ${this.s}.projection_checkpoints ORDER BY name`,
    );
    return rows.map((r) => ({ name: r.name, checkpoint: { transactionId: BigInt(r.transaction_id), position: BigInt(r.position) }, updatedAt: r.updated_at }));
  }

  /** Projects everything committed so far (tests, the replay CLI). */
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

  private async projectBatch(projection: Projection): Promise<{ projected: number; heldBack: boolean }> {
    const known = this.known.get(projection.name);
    const trusted = known && Date.now() - known.at < this.options.pollIntervalMs ? known.checkpoint : undefined;
    const unlocked = trusted && (await this.store.readAll(trusted, this.options.batchSize));
    if (unlocked && unlocked.events.length === 0) return { projected: 0, heldBack: unlocked.heldBack === true };
    const batch = await inTransaction(this.pool, async (tx) => {
      const { rows } = await tx.query<{ transaction_id: string; position: string }>({ ...this.statements.lock, values: [projection.name] });
      const checkpoint = rows[0] ? { transactionId: BigInt(rows[0].transaction_id), position: BigInt(rows[0].position) } : START;
      const batch = unlocked && trusted && sameCheckpoint(checkpoint, trusted) ? unlocked : await this.store.readAll(checkpoint, this.options.batchSize, tx);
      for (const event of batch.events) await projection.apply(event, tx);
      if (batch.events.length > 0) {
        // Side by side: the hook's round trip (to Redis) costs the batch no time.
        await Promise.all([
          projection.beforeCommit?.(batch.events),
          tx.query({ ...this.statements.advance, values: [projection.name, batch.checkpoint.transactionId.toString(), batch.checkpoint.position.toString()] }),
        ]);
      }
      return batch;
    });
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
