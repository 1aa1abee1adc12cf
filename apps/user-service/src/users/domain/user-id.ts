import { uuidV5 } from '@causeway/eventsourcing';

/** Fixed namespace of ids from idempotency keys: changing it would let a retry create a second user. */
export const USER_KEY_NAMESPACE = '3f0c8e52-7a4d-4b19-9c61-e5d2a8b7f014';

/**
 * The user an `Idempotency-Key` stands for: the same key sent again (a retry after a timeout)
 * names the same user, whose stream then exists already. Keys are one namespace for all
 * clients (there is no account to scope them to): clients should send random ones (UUIDs).
 */
export function userIdForKey(key: string): string {
  return uuidV5(key, USER_KEY_NAMESPACE);
}
