import type { ServiceDefinition } from '@causeway/service-runtime';

export const notificationService: ServiceDefinition = {
  name: 'notification-service',
  schema: 'notification_service',
  consumerGroup: 'notification_service',
  port: (settings) => settings.http.notification_service_port,
  migrations: [
    {
      id: 1,
      name: 'deliveries of the recording channel, notifications read model',
      sql: (s) => `
        -- What the built-in recording channel "sent". notification_id is unique: a notification is
        -- delivered at most once even if two handlers race past the aggregate check.
        CREATE TABLE ${s}.deliveries (
          id              uuid        PRIMARY KEY,
          notification_id uuid        NOT NULL UNIQUE,
          user_id         uuid        NOT NULL,
          channel         text        NOT NULL,
          template        text        NOT NULL,
          subject         text        NOT NULL,
          body            text        NOT NULL,
          delivered_at    timestamptz NOT NULL
        );
        CREATE INDEX deliveries_user_idx ON ${s}.deliveries (user_id, delivered_at);

        CREATE TABLE ${s}.notifications (
          id             uuid        PRIMARY KEY,
          user_id        uuid        NOT NULL,
          template       text        NOT NULL,
          channel        text        NOT NULL,
          status         text        NOT NULL,
          error          text,
          cause_event_id uuid        NOT NULL,
          version        integer     NOT NULL,
          created_at     timestamptz NOT NULL
        );
        CREATE INDEX notifications_list_idx ON ${s}.notifications (created_at DESC, id DESC);
        CREATE INDEX notifications_user_idx ON ${s}.notifications (user_id, created_at DESC, id DESC);
      `,
    },
  ],
};
