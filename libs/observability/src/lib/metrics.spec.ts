import { parsePrometheus, sampleValue as valueOf } from '@causeway/testing';
import { metrics, observeCommitted, registry, scrapeGauge } from './metrics';

const scrape = async () => parsePrometheus(await registry.metrics());

describe('metrics', () => {
  it('renders valid Prometheus text: business counters from committed events, histograms with observations', async () => {
    const before = await scrape();
    observeCommitted({ eventType: 'OrderConfirmed', data: {} });
    observeCommitted({ eventType: 'OrderCancelled', data: { reason: 'payment_timeout' } });
    observeCommitted({ eventType: 'PaymentProcessed', data: { amountCents: 2_500, currency: 'EUR' } });
    observeCommitted({ eventType: 'PaymentRefunded', data: { amountCents: 1_000, currency: 'EUR' } });
    metrics.consumerSeconds.observe({ event_type: 'OrderPlaced' }, 0.004);
    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(moved('causeway_saga_outcomes_total', { outcome: 'confirmed' })).toBe(1);
    expect(moved('causeway_saga_outcomes_total', { outcome: 'cancelled', reason: 'payment_timeout' })).toBe(1);
    expect(moved('causeway_revenue_cents_total', { currency: 'EUR' })).toBe(2_500);
    expect(moved('causeway_refunds_cents_total', { currency: 'EUR' })).toBe(1_000);
    expect(moved('causeway_events_appended_total', { event_type: 'PaymentProcessed' })).toBe(1);
    const histogram = after.find((f) => f.name === 'causeway_consumer_handle_seconds');
    expect(histogram?.type).toBe('HISTOGRAM');
    // (this parser drops a histogram's labels; one label set was observed here)
    expect(Number(histogram?.metrics[0]?.buckets?.['+Inf'])).toBeGreaterThanOrEqual(1);
    // Default process metrics are there too.
    expect(after.some((f) => f.name === 'process_cpu_user_seconds_total')).toBe(true);
  });

  it('reads scrape-time gauges when scraped, and a failing source leaves them empty instead of failing the scrape', async () => {
    let backlog = 3;
    scrapeGauge('causeway_test_backlog', 'test gauge', ['schema'], async (set) => set({ schema: 's' }, backlog));
    expect(valueOf(await scrape(), 'causeway_test_backlog', { schema: 's' })).toBe(3);
    backlog = 7;
    expect(valueOf(await scrape(), 'causeway_test_backlog', { schema: 's' })).toBe(7);
    scrapeGauge('causeway_test_backlog', 'test gauge', ['schema'], async () => {
      throw new Error('database down');
    });
    const families = await scrape();
    expect(families.find((f) => f.name === 'causeway_test_backlog')?.metrics ?? []).toEqual([]);
  });
});
