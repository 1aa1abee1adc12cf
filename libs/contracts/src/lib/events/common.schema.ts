import { z } from 'zod';

export const id = z.uuid();
/** Money is integer minor units (cents) with an ISO 4217 currency code. */
export const amountCents = z.number().int().nonnegative();
export const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR');
export const isoTimestamp = z.iso.datetime();
