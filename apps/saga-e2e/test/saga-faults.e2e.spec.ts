import { parsePrometheus, sampleValue, ScratchKafkaBroker, startSagaStack, TcpProxy, testSettings, type MetricFamily, type SagaStack } from '@causeway/testing';

/**
 * The saga under deadlines, load, crashes and outages (issue #5, scenarios 4, 6 and 7, and
 * PostgreSQL and Kafka taken away), on a stack of its own with a short payment deadline, a Kafka
 * broker of its own and its database behind a proxy, so that both can go down without touching
 * anything else. Every wait has a deadline; nothing sleeps and hopes.
 *
 * Invariants checked after each scenario, from the public API only:
 * - every order is terminal (CONFIRMED or CANCELLED) and has exactly one payment;
 * - a CONFIRMED order's payment is processed, a CANCELLED one's failed or refunded;
 * - the books balance: what is still captured equals the totals of the confirmed orders;
 * - no event went to a dead-letter topic.
 */

const PAYMENT_DEADLINE = '6s';
/** tok_timeout answers after this: past the deadline on purpose. */
const SANDBOX_TIMEOUT_DELAY = '9s';
const TEST_TIMEOUT_MS = 360_000;
/** Orders under load or after a crash: the deadline, a late charge and a restart must fit in. */
const SETTLE = { timeoutMs: 240_000, intervalMs: 500 };

interface Order {
  id: string;
  userId: string;
  status: string;
  totalCents: number;
  cancelReason?: string;
}

interface Payment {
  id: string;
  orderId: string;
  status: string;
  amountCents: number;
}

describe('order-fulfilment saga under deadlines, load, crashes and outages (e2e)', () => {
  let stack: SagaStack;
  let broker: ScratchKafkaBroker;
  let database: TcpProxy;

  beforeAll(async () => {
    broker = await ScratchKafkaBroker.create();
    await broker.start();
    database = await TcpProxy.to(testSettings().event_store.database_url, 5432);
    stack = await startSagaStack(
      'saga_faults',
      {
        CAUSEWAY__SAGA__PAYMENT_DEADLINE: PAYMENT_DEADLINE,
        CAUSEWAY__PAYMENT_SANDBOX__TIMEOUT_DELAY: SANDBOX_TIMEOUT_DELAY,
        // Slow enough that a crash finds charges under way.
        CAUSEWAY__PAYMENT_SANDBOX__LATENCY: '50ms',
      },
      { kafkaBrokers: broker.brokers, databaseUrl: (url) => database.url(url) },
    );
  }, 180_000);

  afterAll(async () => {
    await database?.restore();
    try {
      await stack?.stop();
    } finally {
      await database?.cut();
      await broker?.dispose();
    }
  }, 90_000);

  const methodFor = (i: number) => (i % 10 < 7 ? 'tok_visa' : i % 10 < 9 ? 'tok_chargeDeclined' : 'tok_timeout');

  /** Places `count` orders for these users, all at once (each user's orders one after another). */
  const placeFor = async (userIds: string[], count: number, method: (i: number) => string) => {
    const placed: Array<{ id: string; userId: string; method: string }> = [];
    await Promise.all(
      userIds.map(async (userId, u) => {
        for (let i = u; i < count; i += userIds.length) {
          const { id } = await stack.placeOrder(userId, method(i), [{ sku: `SKU-${i}`, quantity: 1 + (i % 3), unitPriceCents: 100 + i }]);
          placed.push({ id, userId, method: method(i) });
        }
      }),
    );
    expect(placed).toHaveLength(count);
    return placed;
  };

  /** Places `count` orders for `users` new users, all at once. */
  const placeMany = async (label: string, users: number, count: number, method: (i: number) => string) => {
    const userIds = await Promise.all(Array.from({ length: users }, (_, u) => stack.createUser(`${label}${u}`)));
    return { userIds, placed: await placeFor(userIds, count, method) };
  };

  /** Waits until every order of these users is terminal and its payment settled; returns both. */
  const settled = async (userIds: string[], expected: number) =>
    stack.until(
      `${expected} orders terminal with settled payments`,
      async () => {
        const orders = (await Promise.all(userIds.map((u) => stack.listAll<Order>(`/orders?userId=${u}`)))).flat();
        if (orders.length !== expected || orders.some((o) => o.status !== 'CONFIRMED' && o.status !== 'CANCELLED')) return false;
        const payments = (await Promise.all(userIds.map((u) => stack.listAll<Payment>(`/payments?userId=${u}`)))).flat();
        if (payments.length < expected || payments.some((p) => p.status === 'initiated')) return false;
        // A cancelled order's late success is refunded: wait for that too.
        const byOrder = new Map(payments.map((p) => [p.orderId, p]));
        const open = orders.some((o) => o.status === 'CANCELLED' && byOrder.get(o.id)?.status === 'processed');
        return !open && { orders, payments };
      },
      SETTLE,
    );

  const expectInvariants = async (orders: Order[], payments: Payment[]) => {
    // Exactly one payment per order.
    expect(payments).toHaveLength(orders.length);
    expect(new Set(payments.map((p) => p.orderId)).size).toBe(orders.length);
    const paymentOf = new Map(payments.map((p) => [p.orderId, p]));
    for (const order of orders) {
      const payment = paymentOf.get(order.id);
      expect({ order: order.status, payment: payment?.status }).toEqual(
        order.status === 'CONFIRMED' ? { order: 'CONFIRMED', payment: 'processed' } : { order: 'CANCELLED', payment: expect.stringMatching(/^(failed|refunded)$/) },
      );
      expect(payment?.amountCents).toBe(order.totalCents);
    }
    // The books balance: captured money is exactly what the confirmed orders cost.
    const captured = payments.filter((p) => p.status === 'processed').reduce((sum, p) => sum + p.amountCents, 0);
    const confirmed = orders.filter((o) => o.status === 'CONFIRMED').reduce((sum, o) => sum + o.totalCents, 0);
    expect(captured).toBe(confirmed);
    expect(await stack.deadLettered()).toBe(0);
  };

  /** No payment was charged twice: at most one PaymentProcessed in each payment's own stream. */
  const expectChargedOnce = async (payments: Payment[]) => {
    for (const payment of payments) {
      const events = await stack.eventsOf(`aggregateId=${payment.id}`);
      expect(events.filter((e) => e.eventType === 'PaymentProcessed').length).toBeLessThanOrEqual(1);
    }
  };

  /** After a fault: every order of these users terminal, the invariants hold, and no payment charged twice. */
  const expectSettledOnceEach = async (userIds: string[], expected: number) => {
    const { orders, payments } = await settled(userIds, expected);
    await expectInvariants(orders, payments);
    await expectChargedOnce(payments);
  };

  it(
    'tok_timeout: no answer within the deadline → CANCELLED (payment_timeout); the success that comes later is refunded automatically',
    async () => {
      const userId = await stack.createUser('deadline');
      const { id } = await stack.placeOrder(userId, 'tok_timeout', [{ sku: 'SLOW', quantity: 1, unitPriceCents: 4_200 }]);
      const cancelled = await stack.waitForOrder(id, 'CANCELLED', SETTLE);
      expect(cancelled).toMatchObject({ cancelReason: 'payment_timeout', refundDue: false });
      // The deadline fired first: the payment was still waiting for the provider.
      expect((await stack.paymentsOf(id)).map((p) => p['status'])).toEqual(['initiated']);
      const refunded = await stack.waitForPayment(id, 'refunded', SETTLE);
      expect(refunded).toMatchObject({ refundReason: 'order_cancelled_before_payment', amountCents: 4_200 });
      const saga = await stack.call('GET', `/orders/${id}/saga`);
      expect(saga.status).toBe(200);
      expect(saga.body).toMatchObject({ status: 'CANCELLED', outcome: { status: 'cancelled', reason: 'payment_timeout' } });
      expect(saga.body.steps.map((s: { eventType: string }) => s.eventType)).toEqual(expect.arrayContaining(['OrderPlaced', 'OrderCancelled']));
      expect(await stack.getOrder(id)).toMatchObject({ status: 'CANCELLED', version: 2 });
      await stack.waitForNotifications(userId, ['welcome', 'order_cancelled', 'payment_refunded']);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    '300 orders from 30 users at once, cards mixed: all terminal, one payment each, the books balance, nothing dead-lettered',
    async () => {
      const scrape = async (app: 'order-service' | 'payment-service') => parsePrometheus(await (await fetch(`${stack.urlOf(app)}/metrics`)).text());
      const before = { order: await scrape('order-service'), payment: await scrape('payment-service') };
      const { userIds, placed } = await placeMany('load', 30, 300, methodFor);
      const { orders, payments } = await settled(userIds, 300);
      await expectInvariants(orders, payments);

      // The services' own metrics moved by exactly what happened to these orders.
      const after = { order: await scrape('order-service'), payment: await scrape('payment-service') };
      const moved = (app: 'order' | 'payment', name: string, labels: Record<string, string> = {}) => sampleValue(after[app], name, labels) - sampleValue(before[app], name, labels);
      const outcomes = (families: MetricFamily[]) =>
        families.find((f) => f.name === 'causeway_saga_outcomes_total')?.metrics.reduce((sum, m) => sum + Number(m.value), 0) ?? 0;
      expect(outcomes(after.order) - outcomes(before.order)).toBe(300);
      expect(moved('order', 'causeway_saga_outcomes_total', { outcome: 'confirmed' })).toBe(orders.filter((o) => o.status === 'CONFIRMED').length);
      expect(moved('order', 'causeway_events_appended_total', { event_type: 'OrderPlaced' })).toBe(300);
      const processedEver = payments.filter((p) => p.status === 'processed' || p.status === 'refunded');
      expect(moved('payment', 'causeway_revenue_cents_total', { currency: 'EUR' })).toBe(processedEver.reduce((sum, p) => sum + p.amountCents, 0));
      expect(moved('payment', 'causeway_refunds_cents_total', { currency: 'EUR' })).toBe(payments.filter((p) => p.status === 'refunded').reduce((sum, p) => sum + p.amountCents, 0));
      const statusOf = new Map(orders.map((o) => [o.id, o]));
      // A declined card never confirms. Under this load on 2 cores its answer may also come after
      // the (short) deadline: then the order is cancelled for the timeout, and that is correct too.
      for (const order of placed.filter((p) => p.method === 'tok_chargeDeclined')) {
        expect(statusOf.get(order.id)).toMatchObject({ status: 'CANCELLED', cancelReason: expect.stringMatching(/^payment_(failed|timeout)$/) });
      }
      for (const order of placed.filter((p) => p.method === 'tok_timeout')) {
        expect(statusOf.get(order.id)).toMatchObject({ status: 'CANCELLED', cancelReason: 'payment_timeout' });
      }
      // A good card is confirmed, or, when the saga is slower than this test's short deadline (on
      // 2 shared cores 300 orders queue for longer than 6 s), cancelled for the timeout: never failed.
      for (const order of placed.filter((p) => p.method === 'tok_visa')) {
        const { status, cancelReason } = statusOf.get(order.id) as Order;
        expect(status === 'CONFIRMED' || cancelReason === 'payment_timeout').toBe(true);
      }
    },
    TEST_TIMEOUT_MS,
  );

  it.each(['payment-service', 'order-service'] as const)(
    'SIGKILL %s with 100 orders in flight, start it again: all 100 terminal, none charged twice',
    async (victim) => {
      const { userIds } = await placeMany(`crash-${victim.split('-')[0]}`, 10, 100, () => 'tok_visa');
      await stack.kill(victim);
      await stack.restart(victim);
      await expectSettledOnceEach(userIds, 100);
    },
    TEST_TIMEOUT_MS,
  );
  it(
    'PostgreSQL unreachable for 8 s with 40 orders in flight, then back: all terminal, one payment each, the books balance, nothing dead-lettered',
    async () => {
      const { userIds } = await placeMany('pg-outage', 5, 40, () => 'tok_visa');
      await database.cut(); // every connection of every app dropped, new ones refused
      // The outage is felt at the edge: 503 (with Retry-After), not 500.
      const refused = await stack.until('order-service to answer 503', async () => {
        const answer = await stack.call('GET', `/orders?userId=${userIds[0]}`);
        return answer.status === 503 && answer;
      });
      expect(refused.headers.get('retry-after')).toBe('1');
      // A deliberate outage length, not a wait for something: longer than a consumer's five
      // attempts and their backoff (~3 s), which used to send every event in flight to the DLQ.
      await new Promise((resolve) => setTimeout(resolve, 8_000));
      await database.restore();
      await expectSettledOnceEach(userIds, 40);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'Kafka killed with 30 orders in flight, 30 more placed while it is down, then started again: all 60 terminal, one payment each, nothing dead-lettered',
    async () => {
      const { userIds } = await placeMany('kafka-outage', 5, 30, () => 'tok_visa');
      await broker.kill();
      // The outbox takes orders without Kafka: placing them needs only PostgreSQL.
      await placeFor(userIds, 30, () => 'tok_visa');
      await broker.start();
      await expectSettledOnceEach(userIds, 60);
    },
    TEST_TIMEOUT_MS,
  );
});
