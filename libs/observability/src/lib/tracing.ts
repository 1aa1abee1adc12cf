import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';

export interface TracingSettings {
  /** OTLP/HTTP base URL (e.g. http://jaeger:4318); empty: tracing off. */
  otlp_endpoint: string;
  /** Share of new traces recorded; a trace begun upstream keeps its upstream decision. */
  trace_sampling: number;
}

/**
 * Starts OpenTelemetry for this process. Call it before the app's other modules load (each
 * app's src/tracing.ts, imported first by its main.ts): the instrumentations patch node:http,
 * pg and ioredis as they are required (undici's, which the gateway calls services with, is traced
 * through its diagnostics channels), so they must be in place first. The bundles keep npm
 * packages external (webpack.app.cjs), so the patching also works in dist/.
 *
 * Off (no SDK, no cost beyond the no-op API) when no endpoint is set. Kafka is traced by the
 * messaging library itself (consumer spans continue the trace in the event's traceparent; the
 * relay's publish spans link to the spans that committed their events), not by the kafkajs
 * instrumentation: the relay publishes long after, and outside of, the request that committed.
 */
export function startTracing(service: string, settings: TracingSettings): () => Promise<void> {
  if (!settings.otlp_endpoint) return async () => undefined;
  const sdk = new NodeSDK({
    serviceName: service,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.trace_sampling) }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${settings.otlp_endpoint.replace(/\/$/, '')}/v1/traces` }), scheduledDelayMillis: 500 })],
    instrumentations: [new HttpInstrumentation(), new UndiciInstrumentation(), new PgInstrumentation(), new IORedisInstrumentation()],
  });
  sdk.start();
  return () => sdk.shutdown();
}
