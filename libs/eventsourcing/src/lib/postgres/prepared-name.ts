import { createHash } from 'node:crypto';

/**
 * A name for a prepared statement, unique per statement text (schema names are part of the
 * text), within PostgreSQL's 63-byte limit: pg prepares a named statement once per connection
 * and reuses it, and two different texts under one name would fail on the same connection.
 */
export function preparedName(purpose: string, text: string): string {
  return `causeway_${purpose}_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
}

/** A statement pg prepares once per connection and executes by name after that: spread it into `query`. */
export interface PreparedStatement {
  name: string;
  text: string;
}

export function preparedStatement(purpose: string, text: string): PreparedStatement {
  return { name: preparedName(purpose, text), text };
}

/**
 * Connection options for a pool the store, relay and projections run on (pg's `options`): plan
 * a named statement once per connection and reuse the plan. Under the default plan_cache_mode
 * PostgreSQL re-plans a statement on the hash-partitioned `events` table at every execution,
 * because a plan pruned to one partition always looks cheaper than the generic plan that prunes
 * at run time; that planning cost ~0.5 ms per stream read here, more than the read. Only named
 * statements are affected: unnamed ones are planned once, for their values, either way.
 */
export const GENERIC_PLAN_OPTIONS = '-c plan_cache_mode=force_generic_plan';
