import { context, createContextKey } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

/*
 * What follows a request's or an event's work through its async calls (its correlation id, the
 * pool connection a transaction holds) rides on OpenTelemetry's context: one AsyncLocalStorage
 * for the whole process, the tracer's own when tracing is on.
 *
 * Why one: on Node 20 every AsyncLocalStorage a process has entered adds a hook call to every
 * promise created from then on, in all code: a second one cost a cached GET 5–15% of its CPU
 * (bench/RESULTS.md, 2026-11-29 sixth session).
 */

let managerRegistered = false;

/** A key for a value of the async context; one per kind of value, made once. */
export const asyncContextKey = (name: string): symbol => createContextKey(name);

/** Runs `fn` with `key` set to `value` for everything it calls, awaits and schedules. */
export function runWithValue<T>(key: symbol, value: unknown, fn: () => T): T {
  // With tracing off no SDK registers a context manager, and without one nothing propagates.
  // false: one is registered already (the tracing SDK's), which does the same.
  if (!managerRegistered) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    managerRegistered = true;
  }
  return context.with(context.active().setValue(key, value), fn);
}

/** The value `key` has in the running code's context, if any. */
export function valueOf<T>(key: symbol): T | undefined {
  return context.active().getValue(key) as T | undefined;
}
