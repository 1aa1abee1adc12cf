import { uuidV5 } from '@causeway/eventsourcing';

/** Fixed namespace of ids from idempotency keys: changing it would let a retry place a second order. */
export const ORDER_KEY_NAMESPACE = '9d3b2f6a-41c7-4e0b-8a5d-c2e7f1b04a93';

/**
 * The order a customer's `Idempotency-Key` stands for: the same key sent again for the same
 * customer (a retry after a timeout) names the same order, whose stream then exists already.
 */
export function orderIdForKey(userId: string, key: string): string {
  return uuidV5(`${userId.toLowerCase()}\n${key}`, ORDER_KEY_NAMESPACE);
}
