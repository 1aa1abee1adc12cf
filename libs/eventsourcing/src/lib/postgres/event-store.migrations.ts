import type { Pool } from 'pg';
import { runMigrations, type Migration } from './migrations';

export interface EventStoreMigrationOptions {
  /** The service's PostgreSQL schema. */
  schema: string;
  /** Hash partitions of `events` (settings: event_store.partitions). Fixed when the table is created. */
  partitions: number;
}

const migrations = (o: EventStoreMigrationOptions): Migration[] => [
  {
    id: 1,
    name: 'events, snapshots, outbox',
    sql: (s) => `
      CREATE SEQUENCE ${s}.events_position_seq AS bigint;

      -- (aggregate_id, version) is the primary key: the database, not a read-then-check, refuses a
      -- second writer at the same version. transaction_id records the writing transaction so
      -- readers of the global log can hold back events of transactions that have not committed
      -- yet (positions are handed out in nextval order, not commit order).
      CREATE TABLE ${s}.events (
        global_position bigint      NOT NULL DEFAULT nextval('${s}.events_position_seq'),
        aggregate_id    uuid        NOT NULL,
        version         integer     NOT NULL CHECK (version > 0),
        event_id        uuid        NOT NULL,
        event_type      text        NOT NULL,
        aggregate_type  text        NOT NULL,
        schema_version  integer     NOT NULL,
        data            jsonb       NOT NULL,
        metadata        jsonb       NOT NULL,
        occurred_at     timestamptz NOT NULL,
        transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
        PRIMARY KEY (aggregate_id, version),
        UNIQUE (aggregate_id, event_id)
      ) PARTITION BY HASH (aggregate_id);
      ALTER SEQUENCE ${s}.events_position_seq OWNED BY ${s}.events.global_position;

      ${Array.from({ length: o.partitions }, (_, i) => `CREATE TABLE ${s}.events_p${i} PARTITION OF ${s}.events FOR VALUES WITH (MODULUS ${o.partitions}, REMAINDER ${i});`).join('\n      ')}

      CREATE INDEX events_log_idx ON ${s}.events (transaction_id, global_position);
      CREATE INDEX events_correlation_idx ON ${s}.events ((metadata->>'correlationId'));
      CREATE INDEX events_type_idx ON ${s}.events (event_type, global_position);

      CREATE TABLE ${s}.snapshots (
        aggregate_id   uuid        PRIMARY KEY,
        aggregate_type text        NOT NULL,
        version        integer     NOT NULL,
        schema_version integer     NOT NULL,
        state          jsonb       NOT NULL,
        taken_at       timestamptz NOT NULL DEFAULT now()
      );

      -- Written in the same statement as the events it announces. The relay publishes rows in id
      -- order; one aggregate's versions are inserted in order, each after the previous committed,
      -- so id order never reorders an aggregate's events.
      CREATE TABLE ${s}.outbox (
        id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        aggregate_id uuid        NOT NULL,
        version      integer     NOT NULL,
        topic        text        NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      );
      CREATE INDEX outbox_unpublished_idx ON ${s}.outbox (id) WHERE published_at IS NULL;

      -- Wakes the relay at commit (NOTIFY is transactional), once per statement, not per row.
      CREATE FUNCTION ${s}.notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${s}_outbox', '');
        RETURN NULL;
      END $$;
      CREATE TRIGGER outbox_notify AFTER INSERT ON ${s}.outbox FOR EACH STATEMENT EXECUTE FUNCTION ${s}.notify_outbox();
    `,
  },
  {
    id: 2,
    name: 'announce appends after commit, not from a trigger',
    // The trigger's NOTIFY ran inside every appending transaction, and NOTIFY serialises commits
    // on one cluster-wide lock. The store now notifies after commit (AppendNotifier).
    sql: (s) => `
      DROP TRIGGER IF EXISTS outbox_notify ON ${s}.outbox;
      DROP FUNCTION IF EXISTS ${s}.notify_outbox();
    `,
  },
];

/** Creates or upgrades the event store tables in `schema`. Safe to run on every start, concurrently. */
export async function migrateEventStore(pool: Pool, options: EventStoreMigrationOptions): Promise<void> {
  await runMigrations(pool, options.schema, 'eventstore', migrations(options));
}
