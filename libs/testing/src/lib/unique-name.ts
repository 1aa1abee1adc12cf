import { randomBytes } from 'node:crypto';

/**
 * A name no other test run uses (a schema, topic or consumer group), so tests can run twice
 * in a row and side by side. Lower-case letters, digits and underscores: valid as a
 * PostgreSQL identifier and as a Kafka topic name.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}
