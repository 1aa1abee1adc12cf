// Local-development defaults shared by infra/ scripts, config/causeway.tsk and docker-compose.yml.
// A test (infra/test/consistency.spec.ts) keeps the three in step.
import { homedir } from 'node:os';
import { join } from 'node:path';

export const KAFKA_VERSION = '4.1.2';
export const SCALA_VERSION = '2.13';
export const LOG4J_VERSION = '2.24.3';

export const DEFAULT_KAFKA_BROKERS = '127.0.0.1:9092';
export const KAFKA_CONTROLLER_PORT = 9093;
// Local development default only: trust auth on a developer's own PostgreSQL.
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/causeway';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** One PostgreSQL schema per service: each owns its events, outbox, inbox and read models. */
export const SERVICE_SCHEMAS = ['user_service', 'order_service', 'payment_service', 'notification_service'];

/** ARCHITECTURE §4. Each gets a `.dlq` twin. */
export const TOPICS = ['user_events', 'order_events', 'payment_events', 'notification_events', 'system_events', 'audit_events'];
export const DEFAULT_PARTITIONS = 3;
export const RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** Downloaded jars and the running broker's state live outside the repository so every clone re-uses them. */
export const CACHE_DIR = process.env.CAUSEWAY_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'causeway');

export function env(name) {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}
