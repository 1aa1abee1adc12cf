import type { CausationContext } from '@causeway/eventsourcing';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export interface RequestContext {
  correlationId: string;
  /** Who is acting: a user id, or the name of the service reacting to an event. */
  actor: string;
  traceparent?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const CORRELATION_HEADER = 'x-correlation-id';
export const ACTOR_HEADER = 'x-actor-id';

export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * Metadata for the events of a command (ARCHITECTURE §2): the request's correlation id, and the
 * command's own id as causation.
 */
export function commandCausation(source: string, commandId: string = randomUUID()): CausationContext {
  const context = currentContext();
  return {
    correlationId: context?.correlationId ?? commandId,
    causationId: commandId,
    source,
    ...(context?.actor && context.actor !== 'anonymous' ? { userId: context.actor } : {}),
    ...(context?.traceparent ? { traceparent: context.traceparent } : {}),
  };
}

/** Metadata for the events a consumer emits in reaction to `cause`. */
export function reactionCausation(source: string, cause: { eventId: string; metadata: { correlationId: string; traceparent?: string } }): CausationContext {
  return {
    correlationId: cause.metadata.correlationId,
    causationId: cause.eventId,
    source,
    ...(cause.metadata.traceparent ? { traceparent: cause.metadata.traceparent } : {}),
  };
}
