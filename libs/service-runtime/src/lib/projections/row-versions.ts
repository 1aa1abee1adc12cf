import type { Pool } from 'pg';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The version each row of `ids` holds now in `table` (a read model keyed by a uuid `id`, with a
 * `version` column); rows that are not there are left out. For QueryCache.replaceRebuiltViews.
 */
export async function rowVersions(pool: Pool, table: string, ids: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ id: string; version: number }>(`SELECT id::text, version FROM ${table} WHERE id = ANY($1::uuid[])`, [ids.filter((id) => UUID.test(id))]);
  return new Map(rows.map((r) => [r.id, r.version]));
}
