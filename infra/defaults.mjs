// Local-development defaults shared by infra/ scripts, config/causeway.tsk and docker-compose.yml.
// They live in defaults.json so tests can read them too; infra/test/docker-compose.spec.ts keeps
// the three in step. The database URL is a local development default (trust auth), not a secret.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const defaults = JSON.parse(readFileSync(new URL('./defaults.json', import.meta.url), 'utf8'));

export const KAFKA_VERSION = defaults.kafka.version;
export const SCALA_VERSION = defaults.kafka.scalaVersion;
export const LOG4J_VERSION = defaults.kafka.log4jVersion;
export const DEFAULT_KAFKA_BROKERS = defaults.kafka.brokers;
export const KAFKA_CONTROLLER_PORT = defaults.kafka.controllerPort;
export const DEFAULT_PARTITIONS = defaults.kafka.partitions;
export const RETENTION_MS = defaults.kafka.retentionMs;
/** ARCHITECTURE §4. Each gets a `.dlq` twin. */
export const TOPICS = defaults.kafka.topics;

export const DEFAULT_DATABASE_URL = defaults.postgres.url;
/** One PostgreSQL schema per service: each owns its events, outbox, inbox and read models. */
export const SERVICE_SCHEMAS = defaults.postgres.schemas;
export const DEFAULT_REDIS_URL = defaults.redis.url;

/** Downloaded jars and the running broker's state live outside the repository so every clone re-uses them. */
export const CACHE_DIR = process.env.CAUSEWAY_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'causeway');

export function env(name) {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}
