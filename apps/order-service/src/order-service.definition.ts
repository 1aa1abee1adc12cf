import type { ServiceDefinition } from '@causeway/service-runtime';

export const orderService: ServiceDefinition = {
  name: 'order-service',
  schema: 'order_service',
  consumerGroup: 'order_service',
  port: (settings) => settings.http.order_service_port,
  migrations: [
    {
      id: 1,
      name: 'customers (from user_events), customer_orders, orders read model',
      sql: (s) => `
        -- Who may order (ARCHITECTURE §5.1), projected from user_events: order-service never asks
        -- user-service. version = the user aggregate's, so a late redelivery never undoes a delete.
        CREATE TABLE ${s}.customers (
          user_id    uuid        PRIMARY KEY,
          status     text        NOT NULL CHECK (status IN ('active', 'deleted')),
          version    integer     NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now()
        );

        -- Written in the transaction that appends OrderPlaced (not by the asynchronous projection),
        -- so a UserDeleted reaction always sees every order its user placed before the delete.
        CREATE TABLE ${s}.customer_orders (
          order_id uuid PRIMARY KEY,
          user_id  uuid NOT NULL
        );
        CREATE INDEX customer_orders_user_idx ON ${s}.customer_orders (user_id);

        CREATE TABLE ${s}.orders (
          id               uuid        PRIMARY KEY,
          user_id          uuid        NOT NULL,
          status           text        NOT NULL,
          items            jsonb       NOT NULL,
          total_cents      bigint      NOT NULL,
          currency         char(3)     NOT NULL,
          payment_method   text        NOT NULL,
          payment_deadline timestamptz NOT NULL,
          payment_id       uuid,
          cancel_reason    text,
          refund_due       boolean,
          version          integer     NOT NULL,
          created_at       timestamptz NOT NULL,
          updated_at       timestamptz NOT NULL,
          confirmed_at     timestamptz,
          shipped_at       timestamptz,
          delivered_at     timestamptz,
          cancelled_at     timestamptz
        );
        CREATE INDEX orders_list_idx ON ${s}.orders (created_at, id);
        CREATE INDEX orders_user_idx ON ${s}.orders (user_id, created_at, id);
        CREATE INDEX orders_status_idx ON ${s}.orders (status, created_at, id);
      `,
    },
    {
      id: 2,
      name: 'payment_deadlines (durable payment timeouts), saga_steps (consumed payment outcomes)',
      sql: (s) => `
        -- One row per order, written in the transaction that appends OrderPlaced (ARCHITECTURE §5.6):
        -- the deadline survives restarts. PaymentDeadlineWatcher claims due rows (FOR UPDATE SKIP
        -- LOCKED), cancels the orders still PENDING and marks the rows done; confirming or
        -- cancelling an order marks its row done in the transaction that does it.
        -- not_before = due_at, pushed back (with attempts / last_error) when expiring failed.
        CREATE TABLE ${s}.payment_deadlines (
          order_id   uuid        PRIMARY KEY,
          due_at     timestamptz NOT NULL,
          status     text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
          not_before timestamptz NOT NULL,
          attempts   integer     NOT NULL DEFAULT 0,
          last_error text,
          done_at    timestamptz
        );
        CREATE INDEX payment_deadlines_due_idx ON ${s}.payment_deadlines (not_before) WHERE status = 'pending';

        -- Orders placed before this migration: a deadline for each one still waiting for payment
        -- (judged from the event log, not the asynchronous read model).
        INSERT INTO ${s}.payment_deadlines (order_id, due_at, not_before)
        SELECT p.aggregate_id, (p.data->>'paymentDeadline')::timestamptz, (p.data->>'paymentDeadline')::timestamptz
        FROM ${s}.events p
        WHERE p.event_type = 'OrderPlaced'
          AND NOT EXISTS (SELECT 1 FROM ${s}.events x WHERE x.aggregate_id = p.aggregate_id AND x.event_type IN ('OrderConfirmed', 'OrderCancelled'))
        ON CONFLICT (order_id) DO NOTHING;

        -- Other services' events this service consumed for an order (PaymentProcessed,
        -- PaymentFailed), written in the inbox transaction of each: with the order's own events
        -- from the log, they make GET /orders/:id/saga.
        CREATE TABLE ${s}.saga_steps (
          event_id       uuid        PRIMARY KEY,
          order_id       uuid        NOT NULL,
          event_type     text        NOT NULL,
          service        text        NOT NULL,
          occurred_at    timestamptz NOT NULL,
          correlation_id text        NOT NULL,
          causation_id   text        NOT NULL,
          recorded_at    timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX saga_steps_order_idx ON ${s}.saga_steps (order_id, occurred_at);
      `,
    },
  ],
};
