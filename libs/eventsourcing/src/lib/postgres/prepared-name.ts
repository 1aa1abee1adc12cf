import { createHash } from 'node:crypto';

/**
 * A name for a prepared statement, unique per statement text (schema names are part of the
 * text), within PostgreSQL's 63-byte limit: pg prepares a named statement once per connection
 * and reuses it, and two different texts under one name would fail on the same connection.
 */
export function preparedName(purpose: string, text: string): string {
  return `causeway_${purpose}_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
}
