import { ALL_TOPICS, deadLetterTopic, type EventMetadata, type EventType } from '@causeway/contracts';
import { freePort } from './scratch-kafka-broker';
import { startServiceProcess, type ServiceProcess } from './service-process';
import { adminQuery } from './test-database';
import { testSettings } from './test-settings';
import { uniqueName } from './unique-name';
import { waitFor } from './wait-for';
import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';

/**
 * The gateway and the four services as separate processes on real PostgreSQL, Kafka and Redis,
 * in a database of the stack's own, spoken to only through the gateway's HTTP API (plus
 * GET /api/events to inspect the stored events).
 *
 * Kafka: consumer groups of the stack's own (KAFKA_GROUP_PREFIX) and, by default, topics of its
 * own too (KAFKA_TOPIC_PREFIX, created here and deleted afterwards). On the shared topics
 * (SAGA_E2E_SHARED_TOPICS=1) the new groups start from the beginning of every topic, so the
 * services also react to every earlier run's events, which grows the shared topics by thousands
 * of events per run and reaches any other stack consuming them. Either way every assertion is
 * filtered by the run's own ids and correlation ids.
 */

/** An event as GET /api/events returns it (inspection: as stored, with the service that stored it). */
export interface InspectedEvent {
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

export interface HttpAnswer {
  status: number;
  headers: Headers;
  // Response bodies are checked field by field by the tests; their static type adds nothing there.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export type App = 'user-service' | 'order-service' | 'payment-service' | 'notification-service' | 'api-gateway';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs: number;
}

/** Waits on the saga: generous, because a loaded 2-core machine runs five apps, Kafka and PostgreSQL. */
export const SAGA_WAIT: WaitOptions = { timeoutMs: 90_000, intervalMs: 100 };

export type SagaStack = Awaited<ReturnType<typeof startSagaStack>>;

/** A failed step of a helper: the answer that broke it in the message (usable outside Jest, by bench/saga). */
function ensure(condition: boolean, what: string, answer: HttpAnswer): void {
  if (!condition) throw new Error(`${what} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
}

/** Where the stack's apps find their infrastructure, for tests that take it away. */
export interface SagaStackOptions {
  /** Rewrites the apps' DATABASE_URL (the stack's own database), e.g. through a TcpProxy. */
  databaseUrl?: (url: string) => string;
  /** The Kafka of the apps and of the stack's own admin calls (default: the configured one). */
  kafkaBrokers?: string[];
}

/** Starts the stack; `env` overrides the apps' settings (e.g. a short CAUSEWAY__SAGA__PAYMENT_DEADLINE). */
export async function startSagaStack(name: string, env: Record<string, string> = {}, options: SagaStackOptions = {}) {
  const settings = testSettings();
  const database = uniqueName(`causeway_${name}`);
  const databaseUrl = Object.assign(new URL(settings.event_store.database_url), { pathname: `/${database}` }).toString();
  const brokers = options.kafkaBrokers ?? settings.kafka.brokers;
  const sharedTopics = process.env['SAGA_E2E_SHARED_TOPICS'] === '1';
  const topicPrefix = sharedTopics ? '' : `${database}.`;
  const groupPrefix = `${database}_`;
  const kafka = new Kafka({ clientId: 'saga-e2e', brokers, logLevel: logLevel.NOTHING });
  const ownTopics = ALL_TOPICS.flatMap((topic) => [`${topicPrefix}${topic}`, deadLetterTopic(`${topicPrefix}${topic}`)]);
  const processes: Partial<Record<App, ServiceProcess>> = {};
  const launch: Partial<Record<App, () => Promise<ServiceProcess>>> = {};
  let api = '';

  const kafkaAdmin = async <T>(work: (client: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> => {
    const client = kafka.admin();
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.disconnect();
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

  /** waitFor, with the tail of every app's warnings and errors in the message when it gives up. */
  const until = async <T>(description: string, probe: () => Promise<T | undefined | false>, options = SAGA_WAIT): Promise<T> => {
    try {
      return await waitFor(description, probe, options);
    } catch (error) {
      const logs = Object.entries(processes)
        .map(([app, p]) => {
          const lines = (p as ServiceProcess).logs().split('\n').filter((line) => /warn|error|exception/i.test(line));
          return lines.length ? `--- ${app} (last warnings/errors)\n${lines.slice(-15).join('\n')}` : '';
        })
        .filter(Boolean)
        .join('\n');
      throw new Error(`${(error as Error).message}${logs ? `\n${logs.slice(-6000)}` : ''}`);
    }
  };

  // ---- the public API, as a client uses it ---------------------------------------------------

  /**
   * POSTs a command as a careful client does: under an Idempotency-Key, so that a retry can never
   * apply it twice, retrying a 503 (a saturated pool sheds load: "try again shortly") and any
   * answer `retryAlso` names, until SAGA_WAIT's deadline. Slow machines running other suites
   * beside this one meet such 503s in bursts of requests.
   */
  const postCommand = (path: string, body: unknown, headers: Record<string, string> = {}, retryAlso: (answer: HttpAnswer) => boolean = () => false) => {
    const sent = { 'idempotency-key': randomUUID(), ...headers };
    return until(`POST ${path} to be answered other than 503`, async () => {
      const answer = await call('POST', path, body, sent);
      return answer.status === 503 || retryAlso(answer) ? false : answer;
    });
  };

  const createUser = async (label: string): Promise<string> => {
    const created = await postCommand('/users', { email: `${label}.${database}@example.com`, givenName: label, familyName: 'E2E' });
    ensure(created.status === 201, 'POST /users', created);
    return created.body.id;
  };

  /**
   * Places an order with the client's own correlation id. order-service learns of a new user
   * asynchronously (user_events → its customers projection), and no read path exposes that
   * projection; placing an order for a customer it does not know yet is refused with 422
   * unknown_customer and has no effect. So this waits by retrying the real POST until it stops
   * answering unknown_customer (the refusals leave only rejected-command audit records).
   */
  const placeOrder = async (userId: string, paymentMethod: string, items = [{ sku: 'BOOK-1', quantity: 2, unitPriceCents: 1250 }], headers: Record<string, string> = {}) => {
    const correlationId = `saga-e2e-${randomUUID()}`;
    const unknownCustomer = (answer: HttpAnswer) => answer.status === 422 && answer.body?.details?.code === 'unknown_customer';
    const placed = await postCommand('/orders', { userId, items, currency: 'EUR', paymentMethod }, { ...headers, 'x-correlation-id': correlationId }, unknownCustomer);
    // A retry after an answer lost on its way (a 503 at commit) meets the order placed first.
    const fresh = placed.status === 202 && placed.body?.status === 'PENDING' && placed.body?.version === 1;
    ensure(fresh || placed.body?.replayed === true, 'POST /orders', placed);
    ensure(placed.headers.get('x-correlation-id') === correlationId, 'the echoed X-Correlation-Id', placed);
    return { id: placed.body.id as string, correlationId };
  };

  const getOrder = async (id: string) => {
    const answer = await call('GET', `/orders/${id}`);
    return answer.status === 200 ? { ...answer.body, etag: answer.headers.get('etag') } : undefined;
  };

  const waitForOrder = (id: string, status: string, options = SAGA_WAIT) =>
    until(
      `order ${id} to be ${status}`,
      async () => {
        const order = await getOrder(id);
        return order?.status === status ? order : false;
      },
      options,
    );

  const paymentsOf = async (orderId: string) => {
    const answer = await call('GET', `/payments?orderId=${orderId}`);
    ensure(answer.status === 200, 'GET /payments', answer);
    return answer.body.items as Array<Record<string, unknown>>;
  };

  const waitForPayment = (orderId: string, status: string, options = SAGA_WAIT) =>
    until(
      `the payment of order ${orderId} to be ${status}`,
      async () => {
        const payments = await paymentsOf(orderId);
        return payments.length === 1 && payments[0]['status'] === status ? payments[0] : false;
      },
      options,
    );

  /** Every page of a list endpoint, following nextCursor. */
  const listAll = async <T>(path: string): Promise<T[]> => {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const answer = await call('GET', `${path}${separator}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
      items.push(...(answer.body.items as T[]));
      cursor = answer.body.nextCursor;
    } while (cursor);
    return items;
  };

  const notificationsOf = async (userId: string) => {
    const answer = await call('GET', `/notifications?userId=${userId}&limit=100`);
    ensure(answer.status === 200, 'GET /notifications', answer);
    return answer.body.items as Array<{ template: string; userId: string; status: string; causeEventId: string }>;
  };

  /** Waits until the user has (at least) these notifications, as many of each as listed. */
  const waitForNotifications = (userId: string, templates: string[]) =>
    until(`notifications ${templates.join(', ')} for user ${userId}`, async () => {
      const notifications = await notificationsOf(userId);
      const count = (t: string) => notifications.filter((n) => n.template === t).length;
      return templates.every((t) => count(t) >= templates.filter((x) => x === t).length) ? notifications : false;
    });

  /** GET /api/events (admin only): the stored events matching `query`, as an administrator asks. */
  const inspect = (query: string) => call('GET', `/events?${query}`, undefined, { authorization: `Bearer ${settings.http.admin_token}` });

  const eventsOf = async (query: string): Promise<InspectedEvent[]> => {
    const answer = await inspect(query);
    ensure(answer.status === 200 && answer.body.unavailable === undefined, 'GET /events from every service', answer);
    return answer.body.items;
  };

  const waitForEvents = (correlationId: string, types: EventType[]) =>
    until(`events ${types.join(', ')} with correlation id ${correlationId}`, async () => {
      const events = await eventsOf(`correlationId=${encodeURIComponent(correlationId)}`);
      return types.every((t) => events.some((e) => e.eventType === t)) ? events : false;
    });

  /** Messages on this stack's dead-letter topics (all of them: none is expected). */
  const deadLettered = async (): Promise<number> =>
    kafkaAdmin(async (client) => {
      let total = 0;
      for (const topic of ownTopics.filter((t) => t.endsWith('.dlq'))) {
        for (const p of await client.fetchTopicOffsets(topic)) total += Number(p.high) - Number(p.low);
      }
      return total;
    });

  // ---- the processes --------------------------------------------------------------------------

  /** An app's own base URL (for what the gateway does not route, e.g. GET /metrics). */
  const running = (app: App): ServiceProcess => {
    const process = processes[app];
    if (!process) throw new Error(`${app} is not running`);
    return process;
  };
  const urlOf = (app: App): string => running(app).url;
  const pidOf = (app: App): number => running(app).pid;

  /** SIGKILL: a crash, no shutdown hooks. */
  const kill = async (app: App) => {
    await processes[app]?.kill();
    delete processes[app];
  };

  /** Starts the app again on its port with its settings, as a supervisor would after a crash. */
  const restart = async (app: App) => {
    const start = launch[app];
    if (!start) throw new Error(`${app} was never started`);
    processes[app] = await start();
  };

  const stop = async () => {
    // Every app is stopped (or killed) and the rest cleaned up before a hung shutdown is reported.
    const stopped = await Promise.allSettled(Object.values(processes).map((p) => (p as ServiceProcess).stop()));
    try {
      await kafkaAdmin(async (client) => {
        const { groups } = await client.listGroups();
        const ours = groups.map((g) => g.groupId).filter((id) => id.startsWith(groupPrefix));
        if (ours.length) await client.deleteGroups(ours);
        if (!sharedTopics) await client.deleteTopics({ topics: ownTopics });
      });
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    }
    const hung = stopped.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (hung) throw hung.reason;
  };

  await adminQuery(`CREATE DATABASE ${database}`);
  try {
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
    const common = {
      DATABASE_URL: options.databaseUrl?.(databaseUrl) ?? databaseUrl,
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_GROUP_PREFIX: groupPrefix,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      LOG_LEVEL: 'warn',
      CAUSEWAY__PAYMENT_SANDBOX__LATENCY: '5ms',
      // The stack shares PostgreSQL (max_connections 100 by default) with the tests running beside
      // it: with the shipped 20 per service, 300 orders at once took it to 72 connections.
      CAUSEWAY__EVENT_STORE__POOL_SIZE: '10',
      ...env,
    };
    const url = (port: number) => `http://127.0.0.1:${port}`;
    const apps: Array<[App, number, Record<string, string>]> = [
      ['user-service', userPort, { CAUSEWAY__HTTP__USER_SERVICE_PORT: String(userPort) }],
      ['order-service', orderPort, { CAUSEWAY__HTTP__ORDER_SERVICE_PORT: String(orderPort) }],
      ['payment-service', paymentPort, { CAUSEWAY__HTTP__PAYMENT_SERVICE_PORT: String(paymentPort) }],
      ['notification-service', notificationPort, { CAUSEWAY__HTTP__NOTIFICATION_SERVICE_PORT: String(notificationPort) }],
      [
        'api-gateway',
        gatewayPort,
        { PORT: String(gatewayPort), USER_SERVICE_URL: url(userPort), ORDER_SERVICE_URL: url(orderPort), PAYMENT_SERVICE_URL: url(paymentPort), NOTIFICATION_SERVICE_URL: url(notificationPort) },
      ],
    ];
    for (const [app, port, own] of apps) launch[app] = () => startServiceProcess(app, port, { ...common, ...own });
    // In parallel; the gateway needs nothing of the services to start (it answers 503 for a service that is down).
    const started = await Promise.allSettled(apps.map(([app]) => restart(app)));
    const failed = started.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed.length) throw new Error(failed.map((f) => (f.reason as Error).message).join('\n'));
    api = `${(processes['api-gateway'] as ServiceProcess).url}/api`;
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }

  return {
    database,
    call,
    until,
    createUser,
    placeOrder,
    getOrder,
    waitForOrder,
    paymentsOf,
    waitForPayment,
    listAll,
    notificationsOf,
    waitForNotifications,
    inspect,
    eventsOf,
    waitForEvents,
    deadLettered,
    urlOf,
    pidOf,
    kill,
    restart,
    stop,
  };
}
