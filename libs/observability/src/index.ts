export { JsonLogger, type LogContext, type LogLevel } from './lib/logger';
export { metrics, observeCommitted, registry, scrapeGauge, scrapeGaugeNames } from './lib/metrics';
export { startTracing, type TracingSettings } from './lib/tracing';
