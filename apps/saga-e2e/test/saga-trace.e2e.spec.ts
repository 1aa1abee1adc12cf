import { createServer, type Server } from 'node:http';
import { freePort, startSagaStack, type InspectedEvent, type SagaStack } from '@causeway/testing';

/** A span as the OTLP/HTTP JSON exporter sends it, with the service that sent it. */
interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  links?: Array<{ traceId: string; spanId: string }>;
}

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;
const SPAN_KIND_CONSUMER = 5;

/** Receives OTLP/HTTP (JSON) trace exports, as a collector or Jaeger's OTLP port would. */
async function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; server: Server }> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: ReceivedSpan[] }> }>;
        };
        for (const resourceSpans of body.resourceSpans) {
          const service = resourceSpans.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
          for (const scope of resourceSpans.scopeSpans) for (const span of scope.spans) spans.push({ ...span, service });
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, spans, server };
}

const traceIdOf = (traceparent: string | undefined) => traceparent?.split('-')[1];
const spanIdOf = (traceparent: string | undefined) => traceparent?.split('-')[2];

/**
 * One order, one trace (issue #6): the five apps export to an OTLP receiver of this test's own,
 * sampling everything; the trace begun by the gateway's request goes through order-service,
 * Kafka and payment-service and back to OrderConfirmed.
 */
describe('one trace per order across HTTP and Kafka (e2e)', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let stack: SagaStack;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    stack = await startSagaStack('saga_trace', { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, CAUSEWAY__TRACING__TRACE_SAMPLING: '1' });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await new Promise((resolve) => receiver?.server.close(resolve));
  }, 60_000);

  it(
    'the gateway request, order-service, the relay, payment-service and OrderConfirmed share one traceId with correct parents',
    async () => {
      const userId = await stack.createUser('traced');
      const { id, correlationId } = await stack.placeOrder(userId, 'tok_visa');
      await stack.waitForOrder(id, 'CONFIRMED');
      const events = await stack.waitForEvents(correlationId, ['OrderPlaced', 'PaymentInitiated', 'PaymentProcessed', 'OrderConfirmed']);
      const event = (type: string): InspectedEvent => events.find((e) => e.eventType === type) as InspectedEvent;

      // The events carry the trace through Kafka: one traceId from the order to its confirmation.
      const traceId = traceIdOf(event('OrderPlaced').metadata.traceparent);
      expect(traceId).toMatch(/^[\da-f]{32}$/);
      for (const type of ['PaymentInitiated', 'PaymentProcessed', 'OrderConfirmed']) expect(traceIdOf(event(type).metadata.traceparent)).toBe(traceId);

      const spans = await stack.until('the spans of every hop to be exported', async () => {
        const ours = receiver.spans.filter((s) => s.traceId === traceId);
        const has = (service: string, name: string) => ours.some((s) => s.service === service && s.name === name);
        return has('payment-service', 'OrderPlaced process') && has('order-service', 'PaymentProcessed process') && ours.some((s) => s.service === 'api-gateway') && ours;
      });
      const span = (service: string, predicate: (s: ReceivedSpan) => boolean) => spans.find((s) => s.service === service && predicate(s)) as ReceivedSpan;

      // The gateway began the trace (the client sent no traceparent) and order-service's server span is
      // under the gateway's client span of the proxied call, which is under the gateway's server span.
      const root = spans.find((s) => !s.parentSpanId);
      expect(root?.service).toBe('api-gateway');
      const orderServer = span('order-service', (s) => s.kind === SPAN_KIND_SERVER);
      const proxied = spans.find((s) => s.spanId === orderServer.parentSpanId);
      expect(proxied).toMatchObject({ service: 'api-gateway', kind: SPAN_KIND_CLIENT });
      expect(spans.find((s) => s.spanId === proxied?.parentSpanId)).toMatchObject({ service: 'api-gateway', kind: SPAN_KIND_SERVER });

      // payment-service's consumer span is a child of the span that committed OrderPlaced…
      const consumeOrderPlaced = span('payment-service', (s) => s.name === 'OrderPlaced process');
      expect(consumeOrderPlaced.kind).toBe(SPAN_KIND_CONSUMER);
      expect(consumeOrderPlaced.parentSpanId).toBe(spanIdOf(event('OrderPlaced').metadata.traceparent));
      // …PaymentInitiated was committed under that consumer span…
      expect(spanIdOf(event('PaymentInitiated').metadata.traceparent)).toBe(consumeOrderPlaced.spanId);
      // …and order-service's consumer of PaymentProcessed continues from PaymentProcessed, then commits OrderConfirmed under it.
      const consumePaid = span('order-service', (s) => s.name === 'PaymentProcessed process');
      expect(consumePaid.parentSpanId).toBe(spanIdOf(event('PaymentProcessed').metadata.traceparent));
      expect(spanIdOf(event('OrderConfirmed').metadata.traceparent)).toBe(consumePaid.spanId);

      // The relay's publish span (its own trace) links to the span that committed OrderPlaced.
      await stack.until('order-service’s publish span linking to OrderPlaced', async () =>
        receiver.spans.some((s) => s.service === 'order-service' && s.name === 'outbox publish' && s.links?.some((l) => l.traceId === traceId && l.spanId === spanIdOf(event('OrderPlaced').metadata.traceparent))),
      );
    },
    240_000,
  );
});
