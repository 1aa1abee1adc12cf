/** Injection tokens of the service runtime. */
export const SETTINGS = Symbol('SETTINGS');
export const PG_POOL = Symbol('PG_POOL');
export const REDIS = Symbol('REDIS');
export const KAFKA = Symbol('KAFKA');
export const EVENT_STORE = Symbol('EVENT_STORE');
export const SERVICE = Symbol('SERVICE');
export const PROJECTIONS = Symbol('PROJECTIONS');
