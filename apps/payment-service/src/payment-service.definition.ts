import type { ServiceDefinition } from '@causeway/service-runtime';

export const paymentService: ServiceDefinition = {
  name: 'payment-service',
  schema: 'payment_service',
  consumerGroup: 'payment_service',
  port: (settings) => settings.http.payment_service_port,
  migrations: [
    {
      id: 1,
      name: 'payments read model, pending charges, order states',
      sql: (s) => `
        CREATE TABLE ${s}.payments (
          id                 uuid        PRIMARY KEY,
          -- A second payment for one order cannot be projected: the id is derived from the order
          -- id already, this makes the rule hold in the read model too.
          order_id           uuid        NOT NULL UNIQUE,
          user_id            uuid        NOT NULL,
          status             text        NOT NULL,
          amount_cents       bigint      NOT NULL,
          currency           text        NOT NULL,
          payment_method     text        NOT NULL,
          provider_reference text,
          failure_reason     text,
          refund_reason      text,
          version            integer     NOT NULL,
          created_at         timestamptz NOT NULL,
          updated_at         timestamptz NOT NULL
        );
        CREATE INDEX payments_list_idx ON ${s}.payments (created_at, id);
        CREATE INDEX payments_user_idx ON ${s}.payments (user_id, created_at, id);
        CREATE INDEX payments_status_idx ON ${s}.payments (status, created_at, id);

        -- Charges to make: written in the same transaction as PaymentInitiated, claimed by the
        -- PaymentProcessor with FOR UPDATE SKIP LOCKED and marked done in the transaction that
        -- records the outcome, so a charge is made (and recorded) once, across restarts.
        CREATE TABLE ${s}.pending_charges (
          payment_id     uuid        PRIMARY KEY,
          order_id       uuid        NOT NULL,
          status         text        NOT NULL DEFAULT 'pending',
          attempts       integer     NOT NULL DEFAULT 0,
          last_error     text,
          not_before     timestamptz NOT NULL DEFAULT now(),
          created_at     timestamptz NOT NULL DEFAULT now(),
          done_at        timestamptz
        );
        CREATE INDEX pending_charges_due_idx ON ${s}.pending_charges (not_before) WHERE status = 'pending';

        -- What this service knows of each order's life, from order_events. The row is also the
        -- lock that orders "payment recorded" against "order cancelled" (see PaymentProcessor).
        CREATE TABLE ${s}.order_states (
          order_id     uuid        PRIMARY KEY,
          cancelled_at timestamptz,
          cancel_reason text
        );
      `,
    },
    {
      id: 2,
      name: 'leased charge claims',
      // A charge is claimed by a lease (not_before moved past it) fenced by this token, instead of
      // a row lock held for the whole provider call (see PaymentProcessor).
      sql: (s) => `ALTER TABLE ${s}.pending_charges ADD COLUMN claim_token uuid;`,
    },
    {
      id: 3,
      name: 'charge details on pending charges',
      // The processor makes a charge from its claimed row alone, without reading the payment's
      // events on the way to the provider. Rows queued before this take theirs from their
      // PaymentInitiated, committed with them.
      sql: (s) => `
        ALTER TABLE ${s}.pending_charges ADD COLUMN amount_cents bigint, ADD COLUMN currency text, ADD COLUMN payment_method text;
        UPDATE ${s}.pending_charges c
           SET amount_cents = (e.data->>'amountCents')::bigint, currency = e.data->>'currency', payment_method = e.data->>'paymentMethod'
          FROM ${s}.events e
         WHERE e.aggregate_id = c.payment_id AND e.event_type = 'PaymentInitiated';
        ALTER TABLE ${s}.pending_charges
          ALTER COLUMN amount_cents SET NOT NULL, ALTER COLUMN currency SET NOT NULL, ALTER COLUMN payment_method SET NOT NULL;`,
    },
  ],
};
