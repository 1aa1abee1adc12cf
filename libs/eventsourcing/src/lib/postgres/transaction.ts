import type { PoolClient } from 'pg';
import { whileHolding } from './connection-guard';

/**
 * Work to run once a transaction has committed, per open transaction. Only transactions opened
 * with `begin` are tracked: for any other, `afterCommit` says so and the caller must act inside.
 */
const afterCommitHooks = new WeakMap<PoolClient, Array<() => void>>();

export interface BeginOptions {
  /** SET LOCAL statement_timeout: a statement of this transaction running longer is cancelled. */
  statementTimeoutMs?: number;
}

/**
 * BEGIN on `client`, tracked so that work inside it can defer side effects to after COMMIT.
 * A statement timeout is set in the same round trip (one simple-protocol query string).
 */
export async function begin(client: PoolClient, options: BeginOptions = {}): Promise<void> {
  const timeout = options.statementTimeoutMs === undefined ? '' : `; SET LOCAL statement_timeout = ${Math.max(1, Math.floor(options.statementTimeoutMs))}`;
  await client.query(`BEGIN${timeout}`);
  afterCommitHooks.set(client, []);
}

/** COMMIT, then the hooks registered meanwhile (never when the commit fails). */
export async function commit(client: PoolClient): Promise<void> {
  const hooks = afterCommitHooks.get(client) ?? [];
  afterCommitHooks.delete(client);
  await client.query('COMMIT');
  for (const hook of hooks) hook();
}

/** ROLLBACK; the hooks registered meanwhile are dropped. */
export async function rollback(client: PoolClient): Promise<void> {
  afterCommitHooks.delete(client);
  await client.query('ROLLBACK');
}

/**
 * Runs `hook` after `transaction` commits. Returns false, without running it, when the
 * transaction was not opened by `begin` (its commit cannot be observed).
 */
export function afterCommit(transaction: PoolClient, hook: () => void): boolean {
  const hooks = afterCommitHooks.get(transaction);
  if (!hooks) return false;
  hooks.push(hook);
  return true;
}

/**
 * BEGIN … COMMIT around `work` on a client of its own; ROLLBACK on any error. Inside `work` the
 * pool refuses further connections (when guarded: refuseNestedConnections).
 */
export async function inTransaction<T>(pool: { connect(): Promise<PoolClient> }, work: (tx: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await begin(client);
    const result = await whileHolding(pool, () => work(client));
    await commit(client);
    return result;
  } catch (error) {
    await rollback(client).catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
