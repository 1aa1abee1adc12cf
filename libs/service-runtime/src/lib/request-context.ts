import { asyncContextKey, runWithValue, valueOf, type CausationContext } from '@causeway/eventsourcing';
import { context as otelContext, propagation } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';

export interface RequestContext {
  correlationId: string;
  /** Who is acting: a user id, or the name of the service reacting to an event. */
  actor: string;
  traceparent?: string;
}

const REQUEST = asyncContextKey('causeway.request-context');

export const CORRELATION_HEADER = 'x-correlation-id';
export const ACTOR_HEADER = 'x-actor-id';

export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return runWithValue(REQUEST, context, fn);
}

export function currentContext(): RequestContext | undefined {
  return valueOf<RequestContext>(REQUEST);
}

/**
 * The W3C traceparent of the active span, when tracing is on: events carry it so whoever
 * consumes them continues this trace. Undefined when tracing is off (no propagator registered).
 */
export function activeTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(otelContext.active(), carrier);
  return carrier['traceparent'];
}

/**
 * Metadata for the events of a command (ARCHITECTURE §2): the request's correlation id, and the
 * command's own id as causation.
 */
export function commandCausation(source: string, commandId: string = randomUUID()): CausationContext {
  const context = currentContext();
  // The request's own span when tracing is on; else the caller's traceparent, passed along as is.
  const traceparent = activeTraceparent() ?? context?.traceparent;
  return {
    correlationId: context?.correlationId ?? commandId,
    causationId: commandId,
    source,
    ...(context?.actor && context.actor !== 'anonymous' ? { userId: context.actor } : {}),
    ...(traceparent ? { traceparent } : {}),
  };
}

/** Metadata for the events a consumer emits in reaction to `cause`. */
export function reactionCausation(source: string, cause: { eventId: string; metadata: { correlationId: string; traceparent?: string } }): CausationContext {
  // The consumer's span (a child of the cause's) when tracing is on; else the cause's own.
  const traceparent = activeTraceparent() ?? cause.metadata.traceparent;
  return {
    correlationId: cause.metadata.correlationId,
    causationId: cause.eventId,
    source,
    ...(traceparent ? { traceparent } : {}),
  };
}
