import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus metrics (GET /metrics on every app). One registry per process: an app
 * is one service. Names follow Prometheus conventions: `causeway_` prefix, base units
 * (`_seconds`, cents), `_total` for counters; labels only with small, fixed value sets (event
 * types, routes as templates, never ids).
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const latency = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export const metrics = {
  eventsAppended: new Counter({ name: 'causeway_events_appended_total', help: 'Events committed to this service’s event store, by type', labelNames: ['event_type'], registers: [registry] }),
  eventsPublished: new Counter({ name: 'causeway_events_published_total', help: 'Outbox rows published to Kafka and acknowledged', registers: [registry] }),
  eventsConsumed: new Counter({ name: 'causeway_events_consumed_total', help: 'Integration events handled by this service’s consumer, by type', labelNames: ['event_type'], registers: [registry] }),
  consumerSeconds: new Histogram({ name: 'causeway_consumer_handle_seconds', help: 'Time to handle one consumed event, inbox transaction included', labelNames: ['event_type'], buckets: latency, registers: [registry] }),
  consumerCrashes: new Counter({ name: 'causeway_consumer_crashes_total', help: 'Times the Kafka consumer stopped on an error kafkajs does not retry, each followed by a restart', registers: [registry] }),
  consumerErrors: new Counter({ name: 'causeway_consumer_errors_total', help: 'Failed attempts to handle a consumed event (each retry counts)', labelNames: ['error_type'], registers: [registry] }),
  deadLettered: new Counter({ name: 'causeway_dead_lettered_total', help: 'Messages copied to a dead-letter topic', labelNames: ['topic'], registers: [registry] }),
  eventsProjected: new Counter({ name: 'causeway_events_projected_total', help: 'Events applied to a read model, by projection', labelNames: ['projection'], registers: [registry] }),
  commandSeconds: new Histogram({ name: 'causeway_command_seconds', help: 'Time to run a command, by command and outcome', labelNames: ['command', 'outcome'], buckets: latency, registers: [registry] }),
  cacheRequests: new Counter({ name: 'causeway_cache_requests_total', help: 'Query cache lookups by result (hit, miss, error)', labelNames: ['result'], registers: [registry] }),
  httpRequests: new Counter({ name: 'http_requests_total', help: 'HTTP requests answered, by method, route template and status code', labelNames: ['method', 'route', 'status_code'], registers: [registry] }),
  httpSeconds: new Histogram({ name: 'http_request_duration_seconds', help: 'HTTP request duration, by method and route template', labelNames: ['method', 'route'], buckets: latency, registers: [registry] }),
  sagaOutcomes: new Counter({ name: 'causeway_saga_outcomes_total', help: 'Orders that reached a saga outcome, by outcome and cancellation reason', labelNames: ['outcome', 'reason'], registers: [registry] }),
  revenueCents: new Counter({ name: 'causeway_revenue_cents_total', help: 'Captured payments, in minor units, by currency', labelNames: ['currency'], registers: [registry] }),
  refundsCents: new Counter({ name: 'causeway_refunds_cents_total', help: 'Refunded payments, in minor units, by currency', labelNames: ['currency'], registers: [registry] }),
};

/** Gauges read at scrape time, registered by the parts that own their sources (service-runtime). */
export const scrapeGaugeNames = {
  outboxBacklog: 'causeway_outbox_backlog',
  outboxOldestAge: 'causeway_outbox_oldest_age_seconds',
  projectionLagEvents: 'causeway_projection_lag_events',
  projectionLagSeconds: 'causeway_projection_lag_seconds',
  consumerLag: 'causeway_consumer_lag',
  preparedTransactionAge: 'causeway_prepared_transaction_oldest_age_seconds',
} as const;

/** A gauge whose value is read when Prometheus scrapes (a database or broker query), not kept up to date. */
export function scrapeGauge(name: string, help: string, labelNames: string[], read: (set: (labels: Record<string, string | number>, value: number) => void) => Promise<void>): Gauge {
  const existing = registry.getSingleMetric(name);
  if (existing) registry.removeSingleMetric(name);
  return new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      // A source that does not answer leaves the gauge empty for this scrape; it does not fail /metrics.
      await read((labels, value) => this.set(labels, value)).catch(() => undefined);
    },
  });
}

/**
 * Business metrics from the events a service committed (ARCHITECTURE §8): saga outcomes from
 * order events, revenue and refunds from payment events. Counting committed events, rather
 * than places in the code, keeps them true however an outcome came about.
 */
export function observeCommitted(event: { eventType: string; data: Record<string, unknown> }): void {
  metrics.eventsAppended.inc({ event_type: event.eventType });
  const data = event.data;
  switch (event.eventType) {
    case 'OrderConfirmed':
      metrics.sagaOutcomes.inc({ outcome: 'confirmed', reason: '' });
      break;
    case 'OrderCancelled':
      metrics.sagaOutcomes.inc({ outcome: 'cancelled', reason: String(data['reason'] ?? 'unknown') });
      break;
    case 'PaymentProcessed':
      if (typeof data['amountCents'] === 'number') metrics.revenueCents.inc({ currency: String(data['currency']) }, data['amountCents']);
      break;
    case 'PaymentRefunded':
      if (typeof data['amountCents'] === 'number') metrics.refundsCents.inc({ currency: String(data['currency']) }, data['amountCents']);
      break;
  }
}
