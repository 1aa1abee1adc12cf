import { ALL_TOPICS, deadLetterTopic, type EventMetadata, type EventType } from '@causeway/contracts';
import { freePort, startServiceProcess, testSettings, uniqueName, waitFor, type ServiceProcess } from '@causeway/testing';
import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

/**
 * The order-fulfilment saga (ARCHITECTURE §5) end to end: the gateway and the four services as
 * separate processes on real PostgreSQL, Kafka and Redis, in a database of this test's own,
 * spoken to only through the gateway's HTTP API (plus GET /api/events to inspect the stored events).
 *
 * Kafka: consumer groups of this run's own (KAFKA_GROUP_PREFIX) and, by default, topics of this
 * run's own too (KAFKA_TOPIC_PREFIX, created here and deleted afterwards). On the shared topics
 * (SAGA_E2E_SHARED_TOPICS=1) the new groups start from the beginning of every topic, so the
 * services also react to every earlier run's events — payment-service charges every OrderPlaced
 * it has not seen and publishes the outcomes to the shared payment_events, notification-service
 * notifies about all of it — which grows the shared topics by thousands of events per run and
 * reaches any other stack consuming them. Either way every assertion is filtered by this run's
 * own ids and correlation ids.
 */

/** An event as GET /api/events returns it (inspection: as stored, with the service that stored it). */
interface InspectedEvent {
  eventId: string;
  eventType: EventType;
  aggregateType: string;
  aggregateId: string;
  version: number;
  timestamp: string;
  service: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
}

interface HttpAnswer {
  status: number;
  headers: Headers;
  // Response bodies are checked field by field below; their static type adds nothing here.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** Waits on the saga: generous, because the services' consumers start by catching up on earlier runs' events. */
const SAGA_WAIT = { timeoutMs: 90_000, intervalMs: 100 };
const TEST_TIMEOUT_MS = 240_000;
const SANDBOX_TIMEOUT_DELAY = '3s';

describe('order-fulfilment saga across all services (e2e)', () => {
  const settings = testSettings();
  const database = uniqueName('causeway_saga_e2e');
  const databaseUrl = Object.assign(new URL(settings.event_store.database_url), { pathname: `/${database}` }).toString();
  const sharedTopics = process.env['SAGA_E2E_SHARED_TOPICS'] === '1';
  const topicPrefix = sharedTopics ? '' : `${database}.`;
  const groupPrefix = `${database}_`;
  const kafka = new Kafka({ clientId: 'saga-e2e', brokers: settings.kafka.brokers, logLevel: logLevel.NOTHING });
  const ownTopics = ALL_TOPICS.flatMap((topic) => [`${topicPrefix}${topic}`, deadLetterTopic(`${topicPrefix}${topic}`)]);
  const processes: Record<string, ServiceProcess> = {};
  let api: string;

  const admin = async (sql: string) => {
    const client = new Client({ connectionString: settings.event_store.database_url });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> => {
    const response = await fetch(`${api}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };

  /** waitFor, with the tail of every service's warnings and errors in the message when it gives up. */
  const until = async <T>(description: string, probe: () => Promise<T | undefined | false>, options = SAGA_WAIT): Promise<T> => {
    try {
      return await waitFor(description, probe, options);
    } catch (error) {
      const logs = Object.entries(processes)
        .map(([app, p]) => {
          const lines = p.logs().split('\n').filter((line) => /warn|error|exception/i.test(line));
          return lines.length ? `--- ${app} (last warnings/errors)\n${lines.slice(-15).join('\n')}` : '';
        })
        .filter(Boolean)
        .join('\n');
      throw new Error(`${(error as Error).message}${logs ? `\n${logs.slice(-6000)}` : ''}`);
    }
  };

  // ---- the public API, as a client uses it ---------------------------------------------------

  const createUser = async (label: string): Promise<string> => {
    const created = await call('POST', '/users', { email: `${label}.${database}@example.com`, givenName: label, familyName: 'E2E' });
    expect(created.status).toBe(201);
    return created.body.id;
  };

  /**
   * Places an order with the client's own correlation id. order-service learns of a new user
   * asynchronously (user_events → its customers projection), and no read path exposes that
   * projection; placing an order for a customer it does not know yet is refused with 422
   * unknown_customer and has no effect. So this waits by retrying the real POST until it stops
   * answering unknown_customer (the refusals leave only rejected-command audit records).
   */
  const placeOrder = async (userId: string, paymentMethod: string, items = [{ sku: 'BOOK-1', quantity: 2, unitPriceCents: 1250 }]) => {
    const correlationId = `saga-e2e-${randomUUID()}`;
    const placed = await until(`order-service to accept an order for customer ${userId}`, async () => {
      const answer = await call('POST', '/orders', { userId, items, currency: 'EUR', paymentMethod }, { 'x-correlation-id': correlationId });
      return answer.status === 422 && answer.body?.details?.code === 'unknown_customer' ? false : answer;
    });
    expect({ status: placed.status, body: placed.body }).toMatchObject({ status: 202, body: { status: 'PENDING', version: 1 } });
    expect(placed.headers.get('x-correlation-id')).toBe(correlationId);
    return { id: placed.body.id as string, correlationId };
  };

  const getOrder = async (id: string) => {
    const answer = await call('GET', `/orders/${id}`);
    return answer.status === 200 ? { ...answer.body, etag: answer.headers.get('etag') } : undefined;
  };

  const waitForOrder = (id: string, status: string) =>
    until(`order ${id} to be ${status}`, async () => {
      const order = await getOrder(id);
      return order?.status === status ? order : false;
    });

  const paymentsOf = async (orderId: string) => {
    const answer = await call('GET', `/payments?orderId=${orderId}`);
    expect(answer.status).toBe(200);
    return answer.body.items as Array<Record<string, unknown>>;
  };

  const waitForPayment = (orderId: string, status: string) =>
    until(`the payment of order ${orderId} to be ${status}`, async () => {
      const payments = await paymentsOf(orderId);
      return payments.length === 1 && payments[0]['status'] === status ? payments[0] : false;
    });

  const notificationsOf = async (userId: string) => {
    const answer = await call('GET', `/notifications?userId=${userId}&limit=100`);
    expect(answer.status).toBe(200);
    return answer.body.items as Array<{ template: string; userId: string; status: string; causeEventId: string }>;
  };

  /** Waits until the user has (at least) these notifications, as many of each as listed. */
  const waitForNotifications = (userId: string, templates: string[]) =>
    until(`notifications ${templates.join(', ')} for user ${userId}`, async () => {
      const notifications = await notificationsOf(userId);
      const count = (t: string) => notifications.filter((n) => n.template === t).length;
      return templates.every((t) => count(t) >= templates.filter((x) => x === t).length) ? notifications : false;
    });

  const eventsOf = async (correlationId: string): Promise<InspectedEvent[]> => {
    const answer = await call('GET', `/events?correlationId=${encodeURIComponent(correlationId)}`);
    expect(answer.status).toBe(200);
    expect(answer.body.unavailable).toBeUndefined();
    return answer.body.items;
  };

  const waitForEvents = (correlationId: string, types: EventType[]) =>
    until(`events ${types.join(', ')} with correlation id ${correlationId}`, async () => {
      const events = await eventsOf(correlationId);
      return types.every((t) => events.some((e) => e.eventType === t)) ? events : false;
    });

  const only = (events: InspectedEvent[], type: EventType): InspectedEvent => {
    const matching = events.filter((e) => e.eventType === type);
    expect(matching.map((e) => `${e.eventType} ${e.aggregateId}`)).toHaveLength(1);
    return matching[0];
  };

  // ---- the stack -----------------------------------------------------------------------------

  /** Topics of this run's own (the services never create topics), and afterwards their removal with the groups. */
  const kafkaAdmin = async <T>(work: (client: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> => {
    const client = kafka.admin();
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.disconnect();
    }
  };

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${database}`);
    if (!sharedTopics) {
      await kafkaAdmin((client) =>
        client.createTopics({ waitForLeaders: true, topics: ownTopics.map((topic) => ({ topic, numPartitions: settings.kafka.topic_partitions, replicationFactor: 1 })) }),
      );
    }
    // One after another: two probes at once could be handed the same port.
    const ports: number[] = [];
    while (ports.length < 5) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    const [userPort, orderPort, paymentPort, notificationPort, gatewayPort] = ports;
    const env = {
      DATABASE_URL: databaseUrl,
      KAFKA_GROUP_PREFIX: groupPrefix,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      LOG_LEVEL: 'warn',
      CAUSEWAY__PAYMENT_SANDBOX__LATENCY: '5ms',
      CAUSEWAY__PAYMENT_SANDBOX__TIMEOUT_DELAY: SANDBOX_TIMEOUT_DELAY,
      // Far beyond the sandbox's tok_timeout delay: no payment_timeout cancellation in these
      // scenarios, whether or not order-service enforces the deadline yet.
      CAUSEWAY__SAGA__PAYMENT_DEADLINE: '120s',
    };
    const url = (port: number) => `http://127.0.0.1:${port}`;
    const apps: Array<[string, number, Record<string, string>]> = [
      ['user-service', userPort, { CAUSEWAY__HTTP__USER_SERVICE_PORT: String(userPort) }],
      ['order-service', orderPort, { CAUSEWAY__HTTP__ORDER_SERVICE_PORT: String(orderPort) }],
      ['payment-service', paymentPort, { CAUSEWAY__HTTP__PAYMENT_SERVICE_PORT: String(paymentPort) }],
      ['notification-service', notificationPort, { CAUSEWAY__HTTP__NOTIFICATION_SERVICE_PORT: String(notificationPort) }],
      [
        'api-gateway',
        gatewayPort,
        {
          PORT: String(gatewayPort),
          USER_SERVICE_URL: url(userPort),
          ORDER_SERVICE_URL: url(orderPort),
          PAYMENT_SERVICE_URL: url(paymentPort),
          NOTIFICATION_SERVICE_URL: url(notificationPort),
        },
      ],
    ];
    // In parallel; the gateway needs nothing of the services to start (it answers 503 for a service that is down).
    const started = await Promise.allSettled(
      apps.map(async ([app, port, own]) => {
        processes[app] = await startServiceProcess(app, port, { ...env, ...own });
      }),
    );
    const failed = started.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed.length) throw new Error(failed.map((f) => (f.reason as Error).message).join('\n'));
    api = `${processes['api-gateway'].url}/api`;
  }, 180_000);

  afterAll(async () => {
    await Promise.all(Object.values(processes).map((p) => p.stop()));
    try {
      await kafkaAdmin(async (client) => {
        const { groups } = await client.listGroups();
        const ours = groups.map((g) => g.groupId).filter((id) => id.startsWith(groupPrefix));
        if (ours.length) await client.deleteGroups(ours);
        if (!sharedTopics) await client.deleteTopics({ topics: ownTopics });
      });
    } finally {
      await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    }
  }, 60_000);

  // ---- the scenarios -------------------------------------------------------------------------

  it(
    'happy path: placed → paid → confirmed → shipped → delivered, notified, one correlation tree',
    async () => {
      const userId = await createUser('happy');
      const { id, correlationId } = await placeOrder(userId, 'tok_visa');

      const confirmed = await waitForOrder(id, 'CONFIRMED');
      expect(confirmed).toMatchObject({ id, userId, totalCents: 2500, currency: 'EUR', paymentMethod: 'tok_visa', version: 2 });
      expect(confirmed.paymentId).toEqual(expect.any(String));
      expect(confirmed.etag).toBe('"2"');

      const shipped = await call('POST', `/orders/${id}/ship`, undefined, { 'if-match': confirmed.etag });
      expect(shipped.status).toBe(200);
      expect(shipped.body).toMatchObject({ id, status: 'SHIPPED', version: 3 });
      const delivered = await call('POST', `/orders/${id}/deliver`, undefined, { 'if-match': shipped.headers.get('etag') as string });
      expect(delivered.status).toBe(200);
      expect(delivered.body).toMatchObject({ id, status: 'DELIVERED', version: 4 });
      expect((await waitForOrder(id, 'DELIVERED')).deliveredAt).toEqual(expect.any(String));

      const payment = await waitForPayment(id, 'processed');
      expect(payment).toMatchObject({ id: confirmed.paymentId, orderId: id, userId, amountCents: 2500, currency: 'EUR' });
      const listed = await call('GET', `/orders?userId=${userId}`);
      expect(listed.body.items.map((o: { id: string; status: string }) => [o.id, o.status])).toEqual([[id, 'DELIVERED']]);

      const notifications = await waitForNotifications(userId, ['welcome', 'order_confirmed', 'order_shipped', 'order_delivered']);
      expect(notifications.map((n) => n.template).sort()).toEqual(['order_confirmed', 'order_delivered', 'order_shipped', 'welcome']);
      expect(notifications.every((n) => n.userId === userId && n.status === 'sent')).toBe(true);

      // The whole saga is one correlation tree: each step caused by the event before it.
      const events = await waitForEvents(correlationId, ['OrderPlaced', 'PaymentInitiated', 'PaymentProcessed', 'OrderConfirmed']);
      const saga = events.filter((e) => ['OrderPlaced', 'PaymentInitiated', 'PaymentProcessed', 'OrderConfirmed'].includes(e.eventType));
      expect(saga.map((e) => e.eventType)).toEqual(['OrderPlaced', 'PaymentInitiated', 'PaymentProcessed', 'OrderConfirmed']);
      const [placed, initiated, processed, orderConfirmed] = saga;
      expect(saga.every((e) => e.metadata.correlationId === correlationId)).toBe(true);
      expect(placed).toMatchObject({ aggregateId: id, service: 'order-service', version: 1 });
      expect(initiated).toMatchObject({ aggregateId: confirmed.paymentId, service: 'payment-service', version: 1 });
      expect(processed).toMatchObject({ aggregateId: confirmed.paymentId, service: 'payment-service', version: 2 });
      expect(orderConfirmed).toMatchObject({ aggregateId: id, service: 'order-service', version: 2 });
      expect(initiated.metadata.causationId).toBe(placed.eventId);
      expect(processed.metadata.causationId).toBe(initiated.eventId);
      expect(orderConfirmed.metadata.causationId).toBe(processed.eventId);
      // The order_confirmed notification hangs off OrderConfirmed in the same tree.
      const confirmedNotice = notifications.find((n) => n.template === 'order_confirmed');
      expect(confirmedNotice?.causeEventId).toBe(orderConfirmed.eventId);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'declined card: payment failed, order cancelled (payment_failed), nothing charged, user told',
    async () => {
      const userId = await createUser('declined');
      const { id, correlationId } = await placeOrder(userId, 'tok_chargeDeclined');

      const cancelled = await waitForOrder(id, 'CANCELLED');
      expect(cancelled).toMatchObject({ cancelReason: 'payment_failed', refundDue: false });
      expect(cancelled.paymentId).toBeUndefined();

      const payment = await waitForPayment(id, 'failed');
      expect(payment).toMatchObject({ failureReason: 'card_declined', amountCents: 2500 });
      expect(payment['providerReference']).toBeUndefined();
      expect((await paymentsOf(id)).filter((p) => p['status'] === 'processed' || p['status'] === 'refunded')).toEqual([]);

      const notifications = await waitForNotifications(userId, ['welcome', 'payment_failed', 'order_cancelled']);
      expect(notifications.map((n) => n.template)).not.toContain('order_confirmed');

      const events = await waitForEvents(correlationId, ['OrderPlaced', 'PaymentInitiated', 'PaymentFailed', 'OrderCancelled']);
      expect(events.map((e) => e.eventType)).not.toContain('PaymentProcessed');
      expect(events.map((e) => e.eventType)).not.toContain('OrderConfirmed');
      const failed = only(events, 'PaymentFailed');
      expect(only(events, 'OrderCancelled').metadata.causationId).toBe(failed.eventId);
      expect(only(events, 'OrderCancelled').data).toMatchObject({ reason: 'payment_failed', refundDue: false });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a confirmed order cancelled by the customer is refunded; a shipped order cannot be cancelled (422)',
    async () => {
      const userId = await createUser('refund');
      const toCancel = await placeOrder(userId, 'tok_visa');
      const toShip = await placeOrder(userId, 'tok_visa', [{ sku: 'LAMP-7', quantity: 1, unitPriceCents: 4999 }]);

      const confirmed = await waitForOrder(toCancel.id, 'CONFIRMED');
      const cancelled = await call('POST', `/orders/${toCancel.id}/cancel`, { reason: 'changed my mind' }, { 'if-match': confirmed.etag });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ id: toCancel.id, status: 'CANCELLED', version: 3 });
      expect(await waitForOrder(toCancel.id, 'CANCELLED')).toMatchObject({ cancelReason: 'customer_request', refundDue: true });

      const refunded = await waitForPayment(toCancel.id, 'refunded');
      expect(refunded).toMatchObject({ id: confirmed.paymentId, amountCents: 2500, refundReason: 'order_cancelled' });
      expect(refunded['providerReference']).toEqual(expect.any(String));
      const notices = await waitForNotifications(userId, ['order_confirmed', 'order_cancelled', 'payment_refunded']);
      expect(notices.filter((n) => n.template === 'payment_refunded')).toHaveLength(1);
      // Cancelling again is refused, and refunds nothing twice.
      const again = await call('POST', `/orders/${toCancel.id}/cancel`, {});
      expect({ status: again.status, code: again.body?.details?.code }).toEqual({ status: 422, code: 'order_already_cancelled' });

      // The refund is caused by the cancellation (its own request, so its own correlation id).
      const cancelledEvent = (await call('GET', `/events?aggregateId=${toCancel.id}&type=OrderCancelled`)).body.items[0] as InspectedEvent;
      const refundEvents = await until('PaymentRefunded in the cancellation request\'s tree', async () => {
        const events = await eventsOf(cancelledEvent.metadata.correlationId);
        return events.some((e) => e.eventType === 'PaymentRefunded') ? events : false;
      });
      expect(only(refundEvents, 'PaymentRefunded').metadata.causationId).toBe(cancelledEvent.eventId);

      const shippable = await waitForOrder(toShip.id, 'CONFIRMED');
      expect((await call('POST', `/orders/${toShip.id}/ship`, undefined, { 'if-match': shippable.etag })).status).toBe(200);
      const refused = await call('POST', `/orders/${toShip.id}/cancel`, {});
      expect({ status: refused.status, body: refused.body }).toMatchObject({ status: 422, body: { statusCode: 422, details: { code: 'order_already_shipped' } } });
      expect(await waitForOrder(toShip.id, 'SHIPPED')).toMatchObject({ version: 3 });
      expect((await paymentsOf(toShip.id)).map((p) => p['status'])).toEqual(['processed']);
      expect((await paymentsOf(toCancel.id)).map((p) => p['status'])).toEqual(['refunded']);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "deleting a user cancels their open orders (user_deleted): the paid one refunded, a charge that succeeds later refunded automatically",
    async () => {
      const userId = await createUser('deleted');
      const paid = await placeOrder(userId, 'tok_visa');
      const paidConfirmed = await waitForOrder(paid.id, 'CONFIRMED');

      // tok_timeout: the sandbox answers only after SANDBOX_TIMEOUT_DELAY, so this order is
      // still PENDING when the user is deleted right after it is placed.
      const slow = await placeOrder(userId, 'tok_timeout', [{ sku: 'SLOW-1', quantity: 3, unitPriceCents: 700 }]);
      const pending = await call('GET', `/orders/${slow.id}?minVersion=1`);
      expect(pending.body).toMatchObject({ status: 'PENDING' });
      const deleteCorrelationId = `saga-e2e-delete-${randomUUID()}`;
      const deleted = await call('DELETE', `/users/${userId}`, undefined, { 'x-correlation-id': deleteCorrelationId });
      expect(deleted.status).toBe(200);

      // Both open orders are cancelled; only the paid one was owed a refund at that moment.
      expect(await waitForOrder(paid.id, 'CANCELLED')).toMatchObject({ cancelReason: 'user_deleted', refundDue: true, paymentId: paidConfirmed.paymentId });
      const slowCancelled = await waitForOrder(slow.id, 'CANCELLED');
      expect(slowCancelled).toMatchObject({ cancelReason: 'user_deleted', refundDue: false });
      expect(await waitForPayment(paid.id, 'refunded')).toMatchObject({ refundReason: 'order_cancelled', amountCents: 2500 });

      // The slow charge succeeds after the cancellation and is refunded without anyone asking.
      const lateRefund = await waitForPayment(slow.id, 'refunded');
      expect(lateRefund).toMatchObject({ refundReason: 'order_cancelled_before_payment', amountCents: 2100, paymentMethod: 'tok_timeout' });
      expect(lateRefund['providerReference']).toEqual(expect.any(String));
      // The slow payment's own stream: charged, then refunded. (Which correlation tree the refund
      // joins depends on whether the cancellation reached payment-service before or after the
      // charge was recorded; both are correct, so it is read by aggregate here.)
      const slowPayment = (await call('GET', `/events?aggregateId=${lateRefund['id']}`)).body.items as InspectedEvent[];
      expect(slowPayment.filter((e) => e.eventType.startsWith('Payment')).map((e) => `${e.version} ${e.eventType}`)).toEqual(['1 PaymentInitiated', '2 PaymentProcessed', '3 PaymentRefunded']);
      expect(slowPayment.find((e) => e.eventType === 'PaymentInitiated')?.metadata.correlationId).toBe(slow.correlationId);
      const slowOrder = (await call('GET', `/events?aggregateId=${slow.id}`)).body.items as InspectedEvent[];
      expect(slowOrder.filter((e) => e.eventType.startsWith('Order')).map((e) => e.eventType)).toEqual(['OrderPlaced', 'OrderCancelled']);

      // The deletion's tree: UserDeleted → both OrderCancelled → the paid order's PaymentRefunded.
      const deletion = await waitForEvents(deleteCorrelationId, ['UserDeleted', 'OrderCancelled', 'PaymentRefunded']);
      const userDeleted = only(deletion, 'UserDeleted');
      const cancellations = deletion.filter((e) => e.eventType === 'OrderCancelled');
      expect(cancellations.map((e) => e.aggregateId).sort()).toEqual([paid.id, slow.id].sort());
      expect(cancellations.every((e) => e.metadata.causationId === userDeleted.eventId)).toBe(true);
      const paidRefund = deletion.find((e) => e.eventType === 'PaymentRefunded' && e.aggregateId === paidConfirmed.paymentId);
      expect(paidRefund?.metadata.causationId).toBe(cancellations.find((e) => e.aggregateId === paid.id)?.eventId);
      // The late success changes nothing on the order: it stays cancelled, never confirmed. (No
      // read path shows when order-service consumed that PaymentProcessed; the events above and
      // this read, taken after it was stored, are the evidence.)
      expect(await getOrder(slow.id)).toMatchObject({ status: 'CANCELLED', cancelReason: 'user_deleted', version: 2 });

      const notifications = await waitForNotifications(userId, ['welcome', 'order_confirmed', 'order_cancelled', 'order_cancelled', 'payment_refunded', 'payment_refunded']);
      expect(notifications.map((n) => n.template).sort()).toEqual(['order_cancelled', 'order_cancelled', 'order_confirmed', 'payment_refunded', 'payment_refunded', 'welcome']);

      // The books balance: everything this user was charged went back.
      const charged = await call('GET', `/payments?userId=${userId}`);
      expect(charged.body.items.map((p: { orderId: string; status: string }) => `${p.orderId} ${p.status}`).sort()).toEqual([`${paid.id} refunded`, `${slow.id} refunded`].sort());

      // A deleted customer cannot order any more.
      const refused = await call('POST', '/orders', { userId, items: [{ sku: 'X', quantity: 1, unitPriceCents: 1 }], currency: 'EUR', paymentMethod: 'tok_visa' });
      expect({ status: refused.status, body: refused.body }).toMatchObject({ status: 422, body: { details: { code: 'customer_deleted' } } });
      expect((await call('GET', `/users/${userId}`)).body).toMatchObject({ status: 'deleted' });
    },
    TEST_TIMEOUT_MS,
  );
});
