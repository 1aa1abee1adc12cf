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
  ],
};
