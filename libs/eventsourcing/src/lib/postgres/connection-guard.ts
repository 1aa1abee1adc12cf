import type { Pool, PoolClient } from 'pg';
import { asyncContextKey, runWithValue, valueOf } from '../async-context';

/** In the async context: the pool whose connection the running code holds for a transaction. */
const HOLDING = asyncContextKey('causeway.holding-connection-of');

/**
 * Thrown when code holding one of a pool's connections for a transaction asks the same pool for
 * another: a read or write meant for the transaction that bypasses it (it cannot see the
 * transaction's writes, nor commit with it), and a deadlock once every connection is held by
 * such code, each waiting for one more. Pass the transaction instead.
 */
export class NestedConnectionError extends Error {
  constructor() {
    super('a connection was requested from the pool by code that holds one of its connections for a transaction: pass that transaction instead');
    this.name = 'NestedConnectionError';
  }
}

/** Runs `work` as code holding a connection of `pool` for a transaction (see refuseNestedConnections). */
export function whileHolding<T>(pool: object, work: () => Promise<T>): Promise<T> {
  return runWithValue(HOLDING, pool, work);
}

/**
 * Makes `pool` refuse a connection, with a NestedConnectionError, to code running inside
 * `whileHolding(pool, …)` (every transaction `inTransaction` and the event consumer open): the
 * bug shows on its first occurrence, in any test, instead of as a deadlock under load.
 * `pool.query` goes through `connect` and is refused alike.
 */
export function refuseNestedConnections<P extends Pool>(pool: P): P {
  const connect = pool.connect.bind(pool) as (callback?: (error: Error | undefined, client?: PoolClient, done?: () => void) => void) => Promise<PoolClient> | void;
  const guarded = (callback?: (error: Error | undefined, client?: PoolClient, done?: () => void) => void) => {
    if (valueOf(HOLDING) !== pool) return connect(callback);
    const error = new NestedConnectionError();
    if (!callback) return Promise.reject(error);
    process.nextTick(() => callback(error));
    return undefined;
  };
  pool.connect = guarded as Pool['connect'];
  return pool;
}
