import { runMigrations, type Migration } from '@causeway/eventsourcing';
import type { Pool } from 'pg';

const migrations: Migration[] = [
  {
    id: 1,
    name: 'inbox',
    sql: (s) => `
      -- One row per event a consumer group has handled, written in the same transaction as the
      -- handler's state change: a redelivered event finds its row and changes nothing.
      CREATE TABLE ${s}.inbox (
        consumer_group text        NOT NULL,
        event_id       uuid        NOT NULL,
        event_type     text        NOT NULL,
        topic          text        NOT NULL,
        partition      integer     NOT NULL,
        "offset"       bigint      NOT NULL,
        processed_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer_group, event_id)
      );
    `,
  },
  {
    id: 2,
    name: 'inbox rows by age',
    sql: (s) => `
      -- Rows are deleted once Kafka can no longer redeliver their message (processing.inbox_retention).
      CREATE INDEX inbox_processed_at_idx ON ${s}.inbox (consumer_group, processed_at);
    `,
  },
];

/** Creates the inbox table in the service's schema. Safe to run on every start, concurrently. */
export async function migrateMessaging(pool: Pool, schema: string): Promise<void> {
  await runMigrations(pool, schema, 'messaging', migrations);
}
