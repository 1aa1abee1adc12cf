import { createHash } from 'node:crypto';

/** Fixed namespace of payment ids: changing it would give existing orders a second payment. */
export const PAYMENT_ID_NAMESPACE = '5b6f4c1e-2d0a-4c53-9e2b-7a3f1d8c9e40';

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
 * The payment of an order, derived from the order id: a second OrderPlaced for the same order
 * (redelivered, or re-published with a new event id) loads the same aggregate instead of
 * starting a second payment.
 */
export function paymentIdFor(orderId: string): string {
  return uuidV5(orderId.toLowerCase(), PAYMENT_ID_NAMESPACE);
}
