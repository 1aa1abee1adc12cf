import type { PoolClient } from 'pg';

/** The event a reaction answers: its id becomes causationId, its correlationId is carried on. */
export interface Cause {
  eventId: string;
  metadata: { correlationId: string; traceparent?: string };
}

/** Where a reaction writes: the consumer's (or processor's) open transaction, so effect and bookkeeping commit together. */
export type Transaction = PoolClient;

/** What a reaction did: the payment and its version after it, or why it did nothing. */
export type ReactionResult = { paymentId: string; version: number; outcome: 'recorded' } | { paymentId: string; outcome: 'ignored'; reason: string };
