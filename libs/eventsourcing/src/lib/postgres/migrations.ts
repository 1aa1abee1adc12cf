import type { Pool } from 'pg';
import { sqlIdentifier } from './sql-identifier';
import { inTransaction } from './transaction';

export interface Migration {
  id: number;
  name: string;
  /** SQL for the given (already validated) schema name. */
  sql: (schema: string) => string;
}

/**
 * Applies each migration of `component` not yet recorded in `<schema>.schema_migrations`.
 * Lists are append-only: a released migration is never edited; changes are new entries.
 * Runs in one transaction holding an advisory lock, so replicas starting together migrate once
 * and a failure leaves nothing half-applied.
 */
export async function runMigrations(pool: Pool, schema: string, component: string, migrations: readonly Migration[]): Promise<void> {
  const s = sqlIdentifier(schema);
  await inTransaction(pool, async (client) => {
    // Transaction-scoped: released at COMMIT/ROLLBACK, or when this process dies.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`causeway:migrate:${s}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
      component text NOT NULL, id integer NOT NULL, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (component, id))`);
    const { rows } = await client.query<{ id: number }>(`SELECT id FROM ${s}.schema_migrations WHERE component = $1`, [component]);
    const applied = new Set(rows.map((r) => r.id));
    for (const migration of migrations) {
      if (applied.has(migration.id)) continue;
      await client.query(migration.sql(s));
      await client.query(`INSERT INTO ${s}.schema_migrations (component, id, name) VALUES ($1, $2, $3)`, [component, migration.id, migration.name]);
    }
  });
}
