export { JsonLogger, type LogContext, type LogLevel } from './lib/logger';
export { metrics, observeCommitted, registry, scrapeGauge } from './lib/metrics';
