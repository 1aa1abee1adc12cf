import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Link } from '@opentelemetry/api';

/**
 * Kafka spans, on the vendor-neutral OpenTelemetry API: no-ops unless the app started an SDK
 * (@causeway/observability startTracing).
 */
const tracer = () => trace.getTracer('@causeway/messaging');

const contextOf = (traceparent: string | undefined) => (traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT);

async function inSpan<T>(span: ReturnType<ReturnType<typeof tracer>['startSpan']>, work: () => Promise<T>): Promise<T> {
  try {
    return await context.with(trace.setSpan(context.active(), span), work);
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/** Handling one consumed event: a child of the span that produced it (its traceparent), so the trace goes on. */
export function consumeSpan<T>(eventType: string, traceparent: string | undefined, attributes: Attributes, work: () => Promise<T>): Promise<T> {
  const span = tracer().startSpan(`${eventType} process`, { kind: SpanKind.CONSUMER, attributes: { 'messaging.system': 'kafka', 'messaging.operation.type': 'process', ...attributes } }, contextOf(traceparent));
  return inSpan(span, work);
}

/**
 * Publishing one relay batch: a span of its own (the relay runs outside any request), linked to
 * the spans that committed the events in it.
 */
export function publishSpan<T>(traceparents: readonly (string | undefined)[], attributes: Attributes, work: () => Promise<T>): Promise<T> {
  const links: Link[] = [];
  for (const traceparent of new Set(traceparents)) {
    const linked = traceparent ? trace.getSpanContext(contextOf(traceparent)) : undefined;
    if (linked) links.push({ context: linked });
  }
  const span = tracer().startSpan('outbox publish', { kind: SpanKind.PRODUCER, links, attributes: { 'messaging.system': 'kafka', 'messaging.operation.type': 'send', ...attributes } }, ROOT_CONTEXT);
  return inSpan(span, work);
}
