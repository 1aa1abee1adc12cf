import type { PoolClient } from 'pg';

/** What a channel is asked to deliver. */
export interface OutgoingNotification {
  notificationId: string;
  userId: string;
  template: string;
  subject: string;
  body: string;
}

/**
 * Where notifications go (ARCHITECTURE §5 step 7). The built-in RecordingChannel stores them;
 * an SMTP or webhook channel can be bound to the token instead.
 *
 * `transaction` is the consumer's: a channel that writes to this service's database writes in it,
 * so the delivery commits with the event that records it. A channel that calls out (SMTP) ignores
 * it and must be idempotent per notificationId, since a rolled-back transaction is retried.
 * A thrown error is not fatal to the caller: it is recorded as NotificationFailed.
 */
export interface NotificationChannel {
  /** Recorded in the events as `channel`. */
  readonly name: string;
  deliver(notification: OutgoingNotification, transaction: PoolClient): Promise<void>;
}

export const NOTIFICATION_CHANNEL = Symbol('NOTIFICATION_CHANNEL');
