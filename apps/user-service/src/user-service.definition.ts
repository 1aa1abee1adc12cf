import type { ServiceDefinition } from '@causeway/service-runtime';

export const userService: ServiceDefinition = {
  name: 'user-service',
  schema: 'user_service',
  consumerGroup: 'user_service',
  port: (settings) => settings.http.user_service_port,
  migrations: [
    {
      id: 1,
      name: 'users read model, email reservations, user_stats',
      sql: (s) => `
        -- Unique email without a race: the reservation is inserted in the same transaction as the
        -- UserCreated / UserUpdated event, so two sign-ups with one email cannot both commit.
        CREATE TABLE ${s}.email_reservations (
          email   text PRIMARY KEY,
          user_id uuid NOT NULL
        );

        CREATE TABLE ${s}.users (
          id          uuid        PRIMARY KEY,
          email       text        NOT NULL,
          given_name  text        NOT NULL,
          family_name text        NOT NULL,
          status      text        NOT NULL,
          version     integer     NOT NULL,
          created_at  timestamptz NOT NULL,
          updated_at  timestamptz NOT NULL
        );
        CREATE INDEX users_list_idx ON ${s}.users (created_at, id);
        CREATE INDEX users_status_idx ON ${s}.users (status, created_at, id);
        CREATE INDEX users_email_idx ON ${s}.users (email);

        -- Refreshed CONCURRENTLY (needs the unique index) so reads never wait for a refresh.
        CREATE MATERIALIZED VIEW ${s}.user_stats AS
          SELECT 'status'::text AS kind, status AS key, count(*)::bigint AS count FROM ${s}.users GROUP BY status
          UNION ALL
          SELECT 'signups_per_day', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), count(*) FROM ${s}.users GROUP BY 2;
        CREATE UNIQUE INDEX user_stats_key ON ${s}.user_stats (kind, key);
      `,
    },
  ],
};
