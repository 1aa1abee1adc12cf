import { z } from 'zod';
import { parseDurationMs } from './duration';

const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return parseDurationMs(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const port = z.number().int().min(1).max(65535);
const positiveInt = z.number().int().positive();

/** `["a:9092", "b:9092"]` or `"a:9092,b:9092"` (the form KAFKA_BROKERS takes). */
const brokerList = z
  .union([z.array(z.string().min(1)).min(1), z.string().min(1)])
  .transform((v) => (Array.isArray(v) ? v : v.split(',').map((s) => s.trim()).filter(Boolean)));

const url = (protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

/**
 * Every setting a Causeway service reads. Sections and key names follow the seed
 * (../shared/seed.txt) where it has them; `config/causeway.tsk` is the reference file.
 */
export const settingsSchema = z.object({
  event_store: z.strictObject({
    database_url: url(['postgres:', 'postgresql:']),
    table_name: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier'),
    partitioning: z.enum(['by_aggregate']),
    partitions: positiveInt.max(256),
    snapshot_interval: positiveInt,
    pool_size: positiveInt.max(500),
    pool_timeout: duration,
  }),
  kafka: z.strictObject({
    brokers: brokerList,
    client_id: z.string().min(1),
    /** Prepended to every consumer group (tests and parallel stacks use their own groups). */
    group_prefix: z.string(),
    /** Prepended to every topic name (the seed's topic_prefix): a test stack gets topics of its own. */
    topic_prefix: z.string().regex(/^[a-zA-Z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only'),
    topic_partitions: positiveInt,
    retention: duration,
    /** TLS to the brokers, with the system's trusted CAs (managed Kafka services require it). */
    ssl: z.boolean(),
    /** SASL authentication: '' for none, or the mechanism the brokers accept. */
    sasl_mechanism: z.enum(['', 'plain', 'scram-sha-256', 'scram-sha-512']),
    sasl_username: z.string(),
    sasl_password: z.string(),
  }),
  redis: z.strictObject({
    url: url(['redis:', 'rediss:']),
    cache_ttl: duration,
    event_cache: z.boolean(),
  }),
  processing: z.strictObject({
    worker_threads: positiveInt.max(64),
    batch_size: positiveInt.max(10_000),
    processing_timeout: duration,
    max_retries: z.number().int().min(0).max(100),
    retry_backoff: duration,
    inbox_retention: duration,
  }),
  outbox: z.strictObject({
    batch_size: positiveInt.max(10_000),
    poll_interval: duration,
  }),
  saga: z.strictObject({
    payment_deadline: duration,
  }),
  payment_sandbox: z.strictObject({
    latency: duration,
    timeout_delay: duration,
  }),
  tracing: z.strictObject({
    otlp_endpoint: z.string(),
    trace_sampling: z.number().min(0).max(1),
  }),
  logging: z.strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']),
    event_logging: z.boolean(),
    event_log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']),
  }),
  http: z.strictObject({
    host: z.string().min(1),
    gateway_port: port,
    user_service_port: port,
    order_service_port: port,
    payment_service_port: port,
    notification_service_port: port,
    request_timeout: duration,
    body_limit_bytes: positiveInt,
    /** Bearer token of the admin-only endpoints (GET /api/events). */
    admin_token: z.string().min(16),
  }),
  /** Where the gateway finds each service. */
  services: z.strictObject({
    user_service_url: url(['http:', 'https:']),
    order_service_url: url(['http:', 'https:']),
    payment_service_url: url(['http:', 'https:']),
    notification_service_url: url(['http:', 'https:']),
  }),
}).superRefine((s, context) => {
  // Kafka keeps a message past its retention until its segment rolls; while it keeps it, the
  // message can be delivered again (an offset reset, a replay), and only its inbox row stops a
  // second effect.
  if (s.kafka.sasl_mechanism !== '') {
    for (const key of ['sasl_username', 'sasl_password'] as const) {
      if (s.kafka[key] === '') context.addIssue({ code: 'custom', path: ['kafka', key], message: `is required with kafka.sasl_mechanism ${s.kafka.sasl_mechanism}` });
    }
  }
  if (s.processing.inbox_retention <= s.kafka.retention) {
    context.addIssue({ code: 'custom', path: ['processing', 'inbox_retention'], message: 'must be longer than kafka.retention: a message Kafka still holds could be redelivered after its inbox row is gone' });
  }
});

export type Settings = z.output<typeof settingsSchema>;
