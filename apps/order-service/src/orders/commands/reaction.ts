import type { PoolClient } from 'pg';

/**
 * A command run in reaction to another service's event: inside the consumer's inbox
 * transaction, its events caused by that event (ARCHITECTURE §2), and a no-op when the order
 * is no longer in a state the reaction applies to (so a repeat, or a late event, changes nothing).
 */
export interface Reaction {
  transaction: PoolClient;
  cause: { eventId: string; metadata: { correlationId: string; traceparent?: string } };
}
