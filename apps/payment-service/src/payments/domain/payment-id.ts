import { uuidV5 } from '@causeway/eventsourcing';

/** Fixed namespace of payment ids: changing it would give existing orders a second payment. */
export const PAYMENT_ID_NAMESPACE = '5b6f4c1e-2d0a-4c53-9e2b-7a3f1d8c9e40';

/**
 * The payment of an order, derived from the order id: a second OrderPlaced for the same order
 * (redelivered, or re-published with a new event id) loads the same aggregate instead of
 * starting a second payment.
 */
export function paymentIdFor(orderId: string): string {
  return uuidV5(orderId.toLowerCase(), PAYMENT_ID_NAMESPACE);
}
