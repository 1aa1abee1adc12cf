// The package ships no types. The reference (not an import) brings the declaration along into every
// project that compiles this file through the @causeway/testing path alias.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../types/parse-prometheus-text-format.d.ts" />
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/** A metric family as the Prometheus text-format parser returns it. */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Array<{ value?: string; labels?: Record<string, string>; buckets?: Record<string, string> }>;
}

/** Parses GET /metrics output; throws on text that is not valid Prometheus exposition format. */
export function parsePrometheus(text: string): MetricFamily[] {
  return parsePrometheusTextFormat(text) as MetricFamily[];
}

/** The value of the sample of `name` whose labels include `labels`; 0 when there is none. */
export function sampleValue(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  const sample = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return Number(sample?.value ?? 0);
}
