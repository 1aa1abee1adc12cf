import { createHash } from 'node:crypto';

/** Fixed namespace of notification ids: changing it would make every redelivered cause notify again. */
export const NOTIFICATION_ID_NAMESPACE = '0c6f8f3a-8d57-4f0e-a7f4-2b9e6c1d3a58';

/** RFC 9562 UUID version 5 (SHA-1 of namespace + name). */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error(`not a UUID: ${namespace}`);
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The notification about a cause event, derived from its eventId: a redelivery of the event
 * (even one the inbox no longer remembers) loads the same aggregate, which is sent at most once.
 */
export function notificationIdFor(causeEventId: string): string {
  return uuidV5(causeEventId.toLowerCase(), NOTIFICATION_ID_NAMESPACE);
}
