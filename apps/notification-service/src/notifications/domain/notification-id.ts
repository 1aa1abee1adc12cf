import { uuidV5 } from '@causeway/eventsourcing';

/** Fixed namespace of notification ids: changing it would make every redelivered cause notify again. */
export const NOTIFICATION_ID_NAMESPACE = '0c6f8f3a-8d57-4f0e-a7f4-2b9e6c1d3a58';

/**
 * The notification about a cause event, derived from its eventId: a redelivery of the event
 * (even one the inbox no longer remembers) loads the same aggregate, which is sent at most once.
 */
export function notificationIdFor(causeEventId: string): string {
  return uuidV5(causeEventId.toLowerCase(), NOTIFICATION_ID_NAMESPACE);
}
