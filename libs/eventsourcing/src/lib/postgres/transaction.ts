import type { PoolClient } from 'pg';
import { whileHolding } from './connection-guard';
import { preparedStatement, type PreparedStatement } from './prepared-name';
import { sqlIdentifier } from './sql-identifier';
import { deferToNextStatement, takeDeferred } from './deferred-statements';

/**
 * Work to run just before and just after a transaction commits, per open transaction. Only
 * transactions opened with `begin` are tracked: for any other, `beforeCommit` and `afterCommit`
 * say so and the caller must act at once.
 */
interface CommitHooks {
  before: Array<() => Promise<void>>;
  after: Array<() => void>;
}
const commitHooks = new WeakMap<PoolClient, CommitHooks>();

export interface BeginOptions {
  /** SET LOCAL statement_timeout: a statement of this transaction running longer is cancelled. */
  statementTimeoutMs?: number;
}

/** The statements begin() and the savepoints defer, each named once. */
const named = new Map<string, PreparedStatement>();
const statement = (purpose: string, text: string) => {
  let known = named.get(text);
  if (!known) named.set(text, (known = preparedStatement(purpose, text)));
  return known;
};
const BEGIN = statement('begin', 'BEGIN');
const setStatementTimeout = (ms: number) => statement('statement_timeout', `SET LOCAL statement_timeout = ${Math.max(1, Math.floor(ms))}`);

/**
 * BEGIN on `client`, tracked so that work inside it can defer writes to just before COMMIT and
 * side effects to after it. BEGIN (and the statement timeout) are sent with the transaction's
 * first statement, in its round trip (deferToNextStatement).
 */
export async function begin(client: PoolClient, options: BeginOptions = {}): Promise<void> {
  await deferToNextStatement(client, options.statementTimeoutMs === undefined ? [BEGIN] : [BEGIN, setStatementTimeout(options.statementTimeoutMs)], true);
  commitHooks.set(client, { before: [], after: [] });
}

/**
 * SAVEPOINT `name` in the transaction on `client`, sent with the next statement (the one it
 * protects), in its round trip. ROLLBACK TO SAVEPOINT is sent as it is.
 */
export async function savepoint(client: PoolClient, name: string): Promise<void> {
  await deferToNextStatement(client, [statement('savepoint', `SAVEPOINT ${sqlIdentifier(name)}`)]);
}

/** RELEASE SAVEPOINT `name`, sent with the next statement; the commit releases it anyway if none follows. */
export async function releaseSavepoint(client: PoolClient, name: string): Promise<void> {
  await deferToNextStatement(client, [statement('savepoint', `RELEASE SAVEPOINT ${sqlIdentifier(name)}`)]);
}

/**
 * The before-commit hooks (in order; one that throws fails the commit, and the caller rolls
 * back), COMMIT, then the after-commit hooks (never when the commit fails). A transaction that
 * ran no statement was never opened on the server: nothing to commit.
 */
export async function commit(client: PoolClient): Promise<void> {
  const hooks = commitHooks.get(client);
  // A hook may register another (a write deferred by a write): run until none is left.
  while (hooks?.before.length) await hooks.before.shift()?.();
  commitHooks.delete(client);
  if (!takeDeferred(client)?.opensTransaction) await client.query('COMMIT');
  for (const hook of hooks?.after ?? []) hook();
}

/** ROLLBACK; the hooks registered meanwhile are dropped. */
export async function rollback(client: PoolClient): Promise<void> {
  commitHooks.delete(client);
  if (!takeDeferred(client)?.opensTransaction) await client.query('ROLLBACK');
}

/**
 * An object unique to the transaction `begin` opened on `client`, to key state that must not
 * outlive it (the client goes back to the pool for the next one); undefined when none is open.
 */
export function transactionKey(client: PoolClient): object | undefined {
  return commitHooks.get(client);
}

/**
 * Runs `hook` in `transaction` just before it commits. Returns false, without running it, when
 * the transaction was not opened by `begin` (its commit cannot be observed).
 */
export function beforeCommit(transaction: PoolClient, hook: () => Promise<void>): boolean {
  const hooks = commitHooks.get(transaction);
  if (!hooks) return false;
  hooks.before.push(hook);
  return true;
}

/**
 * Runs `hook` after `transaction` commits. Returns false, without running it, when the
 * transaction was not opened by `begin` (its commit cannot be observed).
 */
export function afterCommit(transaction: PoolClient, hook: () => void): boolean {
  const hooks = commitHooks.get(transaction);
  if (!hooks) return false;
  hooks.after.push(hook);
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
