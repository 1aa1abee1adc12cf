/**
 * HTTP benchmark: GET /users/:id (warm query cache, cache off) on user-service and through the
 * api-gateway, POST /api/users, beside a bare Fastify + ioredis server returning the same cached
 * JSON (the floor). Real PostgreSQL, Redis and Kafka; every server a process of its own. Prints
 * Markdown tables on stdout and progress on stderr. Asserts nothing.
 *
 *   node infra/up.mjs
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register bench/http.bench.ts \
 *     [--users 1000] [--connections 32] [--duration 15] [--pipelining 1] [--rounds 2] \
 *     [--warmup 3] [--no-diagnose] [--max-minutes 25]
 *
 * Targets (autocannon, programmatic, the same options for every one; GETs rotate over the ids):
 *   bare            bare Fastify + ioredis (child process): GET the service's own cache entry, send it
 *   svc-cached      user-service GET /users/:id, warm cache
 *   svc-nocache     a second user-service on the same database, CAUSEWAY__REDIS__CACHE_TTL=0s
 *   gw-cached       api-gateway GET /api/users/:id → svc-cached
 *   gw-post         api-gateway POST /api/users (unique email per request); run last in each round,
 *                   then the run waits for the outbox and the projection to catch up
 * Diagnostics (default on, --no-diagnose to skip), each a process of its own (this file, --role=…):
 *   bare-object     bare Fastify doing what the service adds without Nest: correlation-id hook in
 *                   AsyncLocalStorage, JSON.parse + reply.send(object), etag + x-cache headers
 *   gw-bare         a second api-gateway whose user-service is the bare server: the hop alone
 *   nest-real       the real UsersController + GetUserHandler + QueryCache on the real createHttpApp,
 *                   without migrations, Kafka, outbox relay or projections (checks they cost nothing)
 *   nest-nopipe     the same, createHttpApp reproduced without the global ValidationPipe
 *   nest-nopipe-alsonly  … and without the correlation-id hook, AsyncLocalStorage enabled once
 *   nest-nopipe-nohook   … and without the correlation-id hook, AsyncLocalStorage never enabled
 *   nest-raw        Nest + FastifyAdapter, a one-line controller returning the Redis string
 *   bare-proxy      bare Fastify forwarding through an undici Pool (the gateway's client) to the
 *                   bare server: the floor for one extra hop
 *
 * Every round runs every target once, in alternating order (round 2 reversed), so the machine's
 * background load falls on all of them alike. CPU per process is read from /proc over each run.
 *
 * Isolation: database causeway_bench_<suffix>, Kafka topics <database>.<topic> (created here and
 * deleted afterwards with the consumer groups <database>_*), the user-service cache keys of this
 * run's users deleted at the end. Clean-up runs on success, failure, SIGINT/SIGTERM and on the
 * --max-minutes watchdog.
 */
import { ALL_TOPICS, deadLetterTopic } from '@causeway/contracts';
import { adminQuery, freePort, startServiceProcess, testSettings, uniqueName, waitFor, type ServiceProcess } from '@causeway/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { flag, has } from './args';
import { allProcessTicks, machineTicks, processTicks, TICKS_PER_SECOND } from './proc-cpu';

// ---------------------------------------------------------------------------------------------
// arguments

const ROLE = flag('role', 'main');
const USERS = Number(flag('users', '1000'));
const CONNECTIONS = Number(flag('connections', '32'));
const DURATION = Number(flag('duration', '15'));
const PIPELINING = Number(flag('pipelining', '1'));
const ROUNDS = Number(flag('rounds', '2'));
const WARMUP = Number(flag('warmup', '3'));
const DIAGNOSE = !has('no-diagnose');
const MAX_MINUTES = Number(flag('max-minutes', '25'));

const CACHE_PREFIX = 'user-service'; // QueryCache prefix = service name; key = user:<id>
const cacheKey = (id: string) => `${CACHE_PREFIX}:user:${id}`;
const log = (message: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);

// ---------------------------------------------------------------------------------------------
// child roles: the bare server and the Nest diagnostics

async function bareServer(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const { AsyncLocalStorage } = await import('node:async_hooks');
  const mode = process.env['BARE_MODE'] ?? 'raw';
  const port = Number(process.env['BENCH_PORT']);
  const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  const app = Fastify();
  if (mode === 'object') {
    const storage = new AsyncLocalStorage<{ correlationId: string; actor: string }>();
    app.addHook('onRequest', (request, reply, done) => {
      const given = request.headers['x-correlation-id'];
      const correlationId = (Array.isArray(given) ? given[0] : given) || randomUUID();
      reply.header('x-correlation-id', correlationId);
      storage.run({ correlationId, actor: 'anonymous' }, done);
    });
  }
  app.get('/health/ready', async () => ({ status: 'ok' }));
  if (mode === 'proxy') {
    // The floor for one extra hop: Fastify forwarding through an undici Pool, as the gateway does.
    const { Pool } = await import('undici');
    const upstream = new Pool(process.env['UPSTREAM_URL'] ?? '');
    app.get<{ Params: { id: string } }>('/api/users/:id', async (request, reply) => {
      const response = await upstream.request({ path: `/users/${request.params.id}`, method: 'GET' });
      const body = await response.body.text();
      return reply.status(response.statusCode).header('content-type', response.headers['content-type'] ?? 'application/json').send(body);
    });
  }
  app.get<{ Params: { id: string } }>('/users/:id', async (request, reply) => {
    const entry = await redis.get(cacheKey(request.params.id));
    // QueryCache's entries are "<version>|<view JSON>": the same cut the service makes.
    const hit = entry?.slice(entry.indexOf('|') + 1);
    if (!hit) return reply.status(404).send({ statusCode: 404, message: 'not cached' });
    if (mode === 'object') {
      const user = JSON.parse(hit) as { version: number };
      return reply.header('etag', `"${user.version}"`).header('x-cache', 'hit').send(user);
    }
    return reply.header('content-type', 'application/json; charset=utf-8').send(hit);
  });
  await app.listen({ port, host: '127.0.0.1' });
  process.on('SIGTERM', () => void app.close().then(() => redis.quit()).finally(() => process.exit(0)));
}

async function nestDiagnostic(): Promise<void> {
  require('reflect-metadata');
  const variant = process.env['NEST_VARIANT'] ?? 'real';
  const port = Number(process.env['BENCH_PORT']);
  const { loadSettings } = await import('@causeway/config');
  const runtime = await import('@causeway/service-runtime');
  const { Controller, Get, Inject, Module, Param, Res } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { CqrsModule } = await import('@nestjs/cqrs');
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  const { Pool } = await import('pg');
  // The diagnostic targets rebuild user-service's GET path in-process from its own modules, so a
  // bench (not a deployable) reaches into the app here.
  /* eslint-disable @nx/enforce-module-boundaries */
  const { UsersController } = await import('../apps/user-service/src/users/users.controller');
  const { GetUserHandler } = await import('../apps/user-service/src/users/queries/get-user/get-user.handler');
  const { userService } = await import('../apps/user-service/src/user-service.definition');
  /* eslint-enable @nx/enforce-module-boundaries */
  type Reply = import('fastify').FastifyReply;

  const settings = loadSettings();
  const redis = new Redis(settings.redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1_000 });
  redis.on('error', () => undefined);

  @Controller('users')
  class RawController {
    constructor(@Inject(runtime.REDIS) private readonly r: Redis) {}

    @Get(':id')
    async get(@Param('id') id: string, @Res({ passthrough: true }) reply: Reply): Promise<string | null> {
      const entry = await this.r.get(cacheKey(id));
      reply.header('content-type', 'application/json; charset=utf-8');
      return entry && entry.slice(entry.indexOf('|') + 1);
    }
  }

  @Module({
    imports: [CqrsModule.forRoot()],
    controllers: [variant === 'raw' ? RawController : UsersController],
    providers: [
      { provide: runtime.PG_POOL, useFactory: () => new Pool({ connectionString: settings.event_store.database_url, max: settings.event_store.pool_size }) },
      { provide: runtime.SERVICE, useValue: userService },
      { provide: runtime.REDIS, useValue: redis },
      { provide: runtime.QueryCache, useValue: new runtime.QueryCache(redis, userService.name, settings.redis.cache_ttl) },
      GetUserHandler,
    ],
  })
  class DiagnosticModule {}

  let app;
  if (variant === 'real') {
    app = await runtime.createHttpApp(DiagnosticModule, settings); // the services' own HTTP stack, unchanged
  } else {
    // createHttpApp (libs/service-runtime/src/lib/http/bootstrap.ts) reproduced, with parts left out.
    const hook = variant === 'nopipe';
    // AsyncLocalStorage switched on once (Node 20 then keeps its promise hooks on), no per-request run.
    if (variant === 'nopipe-alsonly') runtime.runWithContext({ correlationId: 'startup', actor: 'bench' }, () => undefined);
    const filter = variant !== 'raw';
    app = await NestFactory.create<import('@nestjs/platform-fastify').NestFastifyApplication>(DiagnosticModule, new FastifyAdapter({ bodyLimit: settings.http.body_limit_bytes }), {
      logger: ['fatal', 'error', 'warn'],
      bodyParser: false,
    });
    if (filter) app.useGlobalFilters(new runtime.ErrorFilter());
    const fastify = app.getHttpAdapter().getInstance();
    const parseJson = fastify.getDefaultJsonParser('error', 'error');
    fastify.removeContentTypeParser('application/json');
    fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      if (body === '') return done(null, undefined);
      return parseJson(request, body.toString(), done);
    });
    if (hook) {
      fastify.addHook('onRequest', (request, reply, done) => {
        const given = request.headers[runtime.CORRELATION_HEADER];
        const correlationId = (Array.isArray(given) ? given[0] : given) || randomUUID();
        reply.header(runtime.CORRELATION_HEADER, correlationId);
        runtime.runWithContext({ correlationId, actor: 'anonymous' }, done);
      });
    }
  }
  app.enableShutdownHooks();
  await app.listen(port, '127.0.0.1');
}

// ---------------------------------------------------------------------------------------------
// /proc: CPU time per process, machine busy time, the pid listening on a port

function pidsByComm(prefix: string): number[] {
  return [...allProcessTicks()].filter(([, p]) => p.comm.startsWith(prefix)).map(([pid]) => pid);
}

/** The pid of a process of ours listening on 127.0.0.1:<port> (startServiceProcess does not expose it). */
function pidListeningOn(port: number): number | undefined {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const localPort = parseInt(f[1].split(':')[1], 16);
      if (localPort === port && f[3] === '0A') inodes.add(f[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const link = readlinkSync(`/proc/${entry}/fd/${fd}`);
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m && inodes.has(m[1])) return Number(entry);
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}

interface CpuSample {
  /** group → pid → utime+stime ticks */
  ticks: Map<string, Map<number, number>>;
  machine: { busy: number; total: number };
  at: number;
}

// ---------------------------------------------------------------------------------------------
// autocannon

interface Histogram {
  average: number;
  p50: number;
  p99: number;
  [key: string]: number;
}
interface AutocannonResult {
  requests: Histogram;
  latency: Histogram;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest;
}
type Tracker = Promise<AutocannonResult> & { stop?: () => void };
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Tracker;

let running: Tracker | undefined;

async function cannon(url: string, requests: AutocannonRequest[], seconds: number): Promise<AutocannonResult> {
  running = autocannon({ url, connections: CONNECTIONS, pipelining: PIPELINING, duration: seconds, requests, timeout: 10 });
  try {
    return await running;
  } finally {
    running = undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// orchestration

interface Target {
  name: string;
  description: string;
  url: string;
  requests: () => AutocannonRequest[];
  /** Processes whose CPU counts as "server" for this target. */
  serverPids: () => number[];
  post?: boolean;
}

interface Measurement {
  round: number;
  result: AutocannonResult;
  cpu: { client: number; server: number; serverParts: number[]; redis: number; postgres: number; machineBusy: number };
}

async function main(): Promise<void> {
  const settings = testSettings();
  const database = uniqueName('causeway_bench');
  const databaseUrl = Object.assign(new URL(settings.event_store.database_url), { pathname: `/${database}` }).toString();
  const topicPrefix = `${database}.`;
  const groupPrefix = `${database}_`;
  const ownTopics = ALL_TOPICS.flatMap((topic) => [`${topicPrefix}${topic}`, deadLetterTopic(`${topicPrefix}${topic}`)]);
  const kafka = new Kafka({ clientId: 'http-bench', brokers: settings.kafka.brokers, logLevel: logLevel.NOTHING });
  const redis = new Redis(settings.redis.url);
  const services: ServiceProcess[] = [];
  const children: ChildProcess[] = [];
  const ids: string[] = [];
  let databaseCreated = false;
  let topicsCreated = false;
  let cleaned: Promise<void> | undefined;

  const admin = adminQuery;
  const kafkaAdmin = async <T>(work: (client: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> => {
    const client = kafka.admin();
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.disconnect();
    }
  };
  const bounded = <T>(what: string, promise: Promise<T>, ms: number) =>
    Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: no end within ${ms} ms`)), ms).unref())]);

  const cleanup = () =>
    (cleaned ??= (async () => {
      log('cleaning up');
      running?.stop?.();
      const step = async (what: string, work: () => Promise<unknown>, ms = 30_000) => {
        try {
          await bounded(what, work(), ms);
        } catch (error) {
          log(`clean-up ${what} failed: ${(error as Error).message}`);
        }
      };
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await step('stop services', () => Promise.all(services.map((s) => s.stop())), 20_000);
      await step('kill services', () => Promise.all(services.map((s) => s.kill())), 5_000);
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (ids.length) await step('redis keys', async () => {
        for (let i = 0; i < ids.length; i += 500) await redis.del(...ids.slice(i, i + 500).map(cacheKey));
      });
      await step('kafka groups and topics', () =>
        kafkaAdmin(async (client) => {
          const { groups } = await client.listGroups();
          const ours = groups.map((g) => g.groupId).filter((id) => id.startsWith(groupPrefix));
          if (ours.length) await client.deleteGroups(ours);
          if (topicsCreated) await client.deleteTopics({ topics: ownTopics });
        }),
      );
      if (databaseCreated) await step('drop database', () => admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
      redis.disconnect();
      log('clean-up done');
    })());

  const watchdog = setTimeout(() => {
    log(`watchdog: over ${MAX_MINUTES} minutes, giving up`);
    void cleanup().finally(() => process.exit(2));
  }, MAX_MINUTES * 60_000);
  watchdog.unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    // ---- the stack ----------------------------------------------------------------------------
    log(`database ${database}, Kafka topics ${topicPrefix}*`);
    await admin(`CREATE DATABASE ${database}`);
    databaseCreated = true;
    await kafkaAdmin((client) => client.createTopics({ waitForLeaders: true, topics: ownTopics.map((topic) => ({ topic, numPartitions: settings.kafka.topic_partitions, replicationFactor: 1 })) }));
    topicsCreated = true;

    const ports: number[] = [];
    while (ports.length < 12) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    const [svcPort, svcNoCachePort, gwPort, barePort, bareObjectPort, gwBarePort, nestRealPort, nestNoPipePort, nestNoHookPort, nestRawPort, nestAlsOnlyPort, bareProxyPort] = ports;
    const env = { DATABASE_URL: databaseUrl, KAFKA_TOPIC_PREFIX: topicPrefix, LOG_LEVEL: 'warn', REDIS_URL: settings.redis.url };
    const url = (port: number) => `http://127.0.0.1:${port}`;

    log('starting user-service (cache on) and user-service (cache off)');
    // One after the other: both run the migrations of the same new database.
    const svc = await startServiceProcess('user-service', svcPort, { ...env, KAFKA_GROUP_PREFIX: `${groupPrefix}a_`, CAUSEWAY__HTTP__USER_SERVICE_PORT: String(svcPort) });
    services.push(svc);
    const svcNoCache = await startServiceProcess('user-service', svcNoCachePort, {
      ...env,
      KAFKA_GROUP_PREFIX: `${groupPrefix}b_`,
      CAUSEWAY__HTTP__USER_SERVICE_PORT: String(svcNoCachePort),
      CAUSEWAY__REDIS__CACHE_TTL: '0s',
    });
    services.push(svcNoCache);
    log('starting api-gateway');
    const gwEnv = { ...env, KAFKA_GROUP_PREFIX: `${groupPrefix}gw_`, PORT: String(gwPort), USER_SERVICE_URL: svc.url };
    const gw = await startServiceProcess('api-gateway', gwPort, gwEnv);
    services.push(gw);

    // ---- data ---------------------------------------------------------------------------------
    log(`creating ${USERS} users through the gateway`);
    const suffix = database.slice(-8);
    let created = 0;
    const createOne = async (n: number) => {
      const response = await fetch(`${gw.url}/api/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `seed-${suffix}-${n}@example.com`, givenName: 'Bench', familyName: `User ${n}` }),
      });
      if (response.status !== 201) throw new Error(`POST /api/users: ${response.status} ${await response.text()}`);
      ids[n] = ((await response.json()) as { id: string }).id;
      created++;
    };
    const inParallel = async (count: number, width: number, work: (n: number) => Promise<void>) => {
      let next = 0;
      await Promise.all(Array.from({ length: width }, async () => {
        while (next < count) await work(next++);
      }));
    };
    await inParallel(USERS, 16, createOne);
    log(`created ${created}; waiting until each is readable (?minVersion=1)`);
    await inParallel(USERS, 16, async (n) => {
      await waitFor(`user ${ids[n]} readable`, async () => (await fetch(`${svc.url}/users/${ids[n]}?minVersion=1`)).status === 200, { timeoutMs: 60_000, intervalMs: 100 });
    });
    log('warming the cache');
    await inParallel(USERS, 16, async (n) => {
      const response = await fetch(`${svc.url}/users/${ids[n]}`);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`warm GET ${ids[n]}: ${response.status}`);
    });
    let hits = 0;
    for (const id of ids) {
      const response = await fetch(`${svc.url}/users/${id}`);
      await response.arrayBuffer();
      if (response.headers.get('x-cache') === 'hit') hits++;
    }
    log(`cache check: ${hits}/${ids.length} x-cache: hit`);
    if (hits !== ids.length) throw new Error(`cache not warm: ${hits}/${ids.length} hits`);
    const sample = await (await fetch(`${svc.url}/users/${ids[0]}`)).text();

    // ---- bare server and diagnostics ------------------------------------------------------------
    const spawnRole = async (role: string, port: number, extra: Record<string, string>, prefix = '') => {
      const child = spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, 'http.bench.ts'), `--role=${role}`], {
        cwd: process.cwd(),
        env: { ...process.env, ...env, KAFKA_GROUP_PREFIX: `${groupPrefix}x_`, SWC_NODE_PROJECT: process.env['SWC_NODE_PROJECT'] ?? 'tsconfig.base.json', BENCH_PORT: String(port), ...extra },
        stdio: ['ignore', 2, 2], // progress and warnings on stderr: stdout is the report
      });
      children.push(child);
      await waitFor(`${role} ${JSON.stringify(extra)} on :${port}`, async () => {
        if (child.exitCode !== null) throw new Error(`${role} exited with ${child.exitCode}`);
        const response = await fetch(`${url(port)}${prefix}/users/${ids[0]}`).catch(() => undefined);
        return response?.status === 200;
      }, { timeoutMs: 60_000, intervalMs: 200 });
      return child;
    };
    log('starting the bare server');
    const bare = await spawnRole('bare', barePort, { BARE_MODE: 'raw' });
    const bareBody = await (await fetch(`${url(barePort)}/users/${ids[0]}`)).text();
    if (bareBody !== sample) throw new Error(`bare server body differs from the service's:\n${bareBody}\n${sample}`);

    const diagnostics: Array<{ name: string; description: string; port: number; pids: () => number[] }> = [];
    if (DIAGNOSE) {
      log('starting the diagnostic servers');
      const bareObject = await spawnRole('bare', bareObjectPort, { BARE_MODE: 'object' });
      diagnostics.push({ name: 'bare-object', description: 'bare Fastify + correlation-id ALS hook + JSON.parse/send(object) + etag/x-cache', port: bareObjectPort, pids: () => [bareObject.pid ?? 0] });
      const gwBare = await startServiceProcess('api-gateway', gwBarePort, { ...gwEnv, PORT: String(gwBarePort), USER_SERVICE_URL: url(barePort) });
      services.push(gwBare);
      for (const [variant, port, description] of [
        ['real', nestRealPort, 'real UsersController/GetUserHandler/QueryCache on the real createHttpApp (no Kafka/outbox/projections)'],
        ['nopipe', nestNoPipePort, 'same, createHttpApp without the global ValidationPipe'],
        ['nopipe-alsonly', nestAlsOnlyPort, 'same as nopipe-nohook, but AsyncLocalStorage enabled once at start-up (runWithContext called once)'],
        ['nopipe-nohook', nestNoHookPort, 'same, without ValidationPipe and without the correlation-id onRequest hook'],
        ['raw', nestRawPort, 'Nest + FastifyAdapter, one-line controller returning the Redis string'],
      ] as const) {
        const child = await spawnRole('nest', port, { NEST_VARIANT: variant });
        diagnostics.push({ name: `nest-${variant}`, description, port, pids: () => [child.pid ?? 0] });
      }
      const bareProxy = await spawnRole('bare', bareProxyPort, { BARE_MODE: 'proxy', UPSTREAM_URL: url(barePort) }, '/api');
      diagnostics.push({ name: 'bare-proxy', description: 'bare Fastify forwarding through an undici Pool → the bare server (the floor for one hop)', port: bareProxyPort, pids: () => [bareProxy.pid ?? 0, bare.pid ?? 0] });
      diagnostics.splice(1, 0, { name: 'gw-bare', description: 'api-gateway GET /api/users/:id → the bare server (the hop alone)', port: gwBarePort, pids: () => [pidListeningOn(gwBarePort) ?? 0, bare.pid ?? 0] });
    }

    // ---- targets --------------------------------------------------------------------------------
    const rotating = (prefix: string) => () => {
      let i = 0;
      return [{ method: 'GET', setupRequest: (request: AutocannonRequest) => ({ ...request, path: `${prefix}/users/${ids[i++ % ids.length]}` }) }];
    };
    let posted = 0;
    const postRequests = () => [
      {
        method: 'POST',
        path: '/api/users',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request: AutocannonRequest) => {
          const n = posted++;
          return { ...request, body: JSON.stringify({ email: `post-${suffix}-${n}@example.com`, givenName: 'Bench', familyName: `Post ${n}` }) };
        },
      },
    ];
    const svcPid = pidListeningOn(svcPort) ?? 0;
    const svcNoCachePid = pidListeningOn(svcNoCachePort) ?? 0;
    const gwPid = pidListeningOn(gwPort) ?? 0;
    log(`pids: user-service ${svcPid}, user-service (no cache) ${svcNoCachePid}, gateway ${gwPid}, bare ${bare.pid}`);
    const targets: Target[] = [
      { name: 'bare', description: 'bare Fastify + ioredis, GET /users/:id → the cached JSON string (floor)', url: url(barePort), requests: rotating(''), serverPids: () => [bare.pid ?? 0] },
      { name: 'svc-cached', description: 'user-service GET /users/:id, warm cache', url: svc.url, requests: rotating(''), serverPids: () => [svcPid] },
      { name: 'svc-nocache', description: 'user-service GET /users/:id, CACHE_TTL=0s (PostgreSQL every time)', url: svcNoCache.url, requests: rotating(''), serverPids: () => [svcNoCachePid] },
      { name: 'gw-cached', description: 'api-gateway GET /api/users/:id → user-service, warm cache', url: gw.url, requests: rotating('/api'), serverPids: () => [gwPid, svcPid] },
      ...diagnostics.map((d) => ({ name: d.name, description: d.description, url: url(d.port), requests: rotating(d.name.startsWith('gw-') || d.name === 'bare-proxy' ? '/api' : ''), serverPids: d.pids })),
    ];
    const postTarget: Target = { name: 'gw-post', description: 'api-gateway POST /api/users → user-service (unique emails)', url: gw.url, requests: postRequests, serverPids: () => [gwPid, svcPid], post: true };

    // ---- runs -----------------------------------------------------------------------------------
    const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1] ?? 0);
    const sampleCpu = (pids: Record<string, number[]>): CpuSample => {
      const ticks = new Map<string, Map<number, number>>();
      for (const [name, list] of Object.entries(pids)) ticks.set(name, new Map(list.filter((pid) => pid > 0).map((pid) => [pid, processTicks(pid)])));
      return { ticks, machine: machineTicks(), at: performance.now() };
    };
    const measure = async (target: Target, round: number, seconds: number): Promise<Measurement> => {
      const pids = { client: [process.pid], server: target.serverPids(), redis: [redisPid], postgres: pidsByComm('postgres') };
      const before = sampleCpu(pids);
      const result = await cannon(target.url, target.requests(), seconds);
      const after = sampleCpu(pids);
      const wallSeconds = (after.at - before.at) / 1000;
      // Per pid, over the pids alive at both ends (a PostgreSQL backend may come or go meanwhile).
      const perPid = (name: string) => [...(before.ticks.get(name) ?? new Map<number, number>())].map(([pid, t0]) => {
        const t1 = after.ticks.get(name)?.get(pid) ?? 0;
        return t1 >= t0 && t1 > 0 ? (100 * (t1 - t0)) / TICKS_PER_SECOND / wallSeconds : 0;
      });
      const pct = (name: string) => perPid(name).reduce((a, b) => a + b, 0);
      const machineBusy = (100 * cpus().length * (after.machine.busy - before.machine.busy)) / Math.max(1, after.machine.total - before.machine.total);
      return { round, result, cpu: { client: pct('client'), server: pct('server'), serverParts: perPid('server'), redis: pct('redis'), postgres: pct('postgres'), machineBusy } };
    };
    const quiesce = async () => {
      await waitFor('outbox drained and users projection caught up', async () => {
        const { rows } = await admin(
          `SELECT (SELECT count(*) FROM user_service.outbox WHERE published_at IS NULL)::int AS unpublished,
                  (SELECT count(*) FROM user_service.events WHERE event_type = 'UserCreated')::int AS created,
                  (SELECT count(*) FROM user_service.users)::int AS projected`,
          databaseUrl,
        );
        return rows[0].unpublished === 0 && rows[0].created === rows[0].projected;
      }, { timeoutMs: 180_000, intervalMs: 500 });
    };

    const all = [...targets, postTarget];
    if (WARMUP > 0) {
      for (const target of all) {
        log(`warm-up ${target.name} (${WARMUP} s)`);
        await cannon(target.url, target.requests(), WARMUP);
      }
      await quiesce();
    }
    const measurements = new Map<string, Measurement[]>(all.map((t) => [t.name, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? targets : [...targets].reverse();
      for (const target of [...order, postTarget]) {
        log(`round ${round}/${ROUNDS}: ${target.name} (${DURATION} s, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
        const m = await measure(target, round, DURATION);
        measurements.get(target.name)?.push(m);
        log(`  ${m.result.requests.average.toFixed(0)} req/s, p50 ${m.result.latency.p50} ms, p99 ${m.result.latency.p99} ms, non-2xx ${m.result.non2xx}, errors ${m.result.errors}; CPU client ${m.cpu.client.toFixed(0)}% server ${m.cpu.server.toFixed(0)}% machine ${m.cpu.machineBusy.toFixed(0)}%`);
        if (target.post) await quiesce();
      }
    }
    const check = await fetch(`${svc.url}/users/${ids[1]}`);
    await check.arrayBuffer();
    const cacheStillWarm = check.headers.get('x-cache') === 'hit';

    // ---- report ---------------------------------------------------------------------------------
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const f0 = (x: number) => x.toFixed(0);
    const f1 = (x: number) => x.toFixed(1);
    const out: string[] = [];
    out.push(`## HTTP benchmark (${new Date().toISOString()})`, '');
    out.push(`autocannon: connections ${CONNECTIONS}, pipelining ${PIPELINING}, duration ${DURATION} s, ${ROUNDS} round(s) interleaved (warm-up ${WARMUP} s each); GETs rotate over ${ids.length} user ids; ${cpus().length} CPUs.`);
    out.push(`Values are means over rounds; "req/s per round" shows the spread. CPU is % of one core over the run (client = this process, autocannon; server = the target's process(es), gateway + upstream for the gw-* and bare-proxy rows; server CPU µs/req = server CPU time per answered request; machine = all CPUs, of ${cpus().length * 100}%).`, '');
    out.push('| target | req/s (avg) | req/s per round | p50 ms | p99 ms | non-2xx | errors | CPU client | CPU server | server CPU µs/req | CPU redis | CPU postgres | machine busy |');
    out.push('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const target of all) {
      const ms = measurements.get(target.name) ?? [];
      if (!ms.length) continue;
      out.push(
        `| ${target.name} | ${f0(mean(ms.map((m) => m.result.requests.average)))} | ${ms.map((m) => f0(m.result.requests.average)).join(' / ')} | ${f1(mean(ms.map((m) => m.result.latency.p50)))} | ${f1(mean(ms.map((m) => m.result.latency.p99)))} | ${ms.reduce((s, m) => s + m.result.non2xx, 0)} | ${ms.reduce((s, m) => s + m.result.errors + m.result.timeouts, 0)} | ${f0(mean(ms.map((m) => m.cpu.client)))}% | ${ms[0].cpu.serverParts.length > 1 ? ms[0].cpu.serverParts.map((_, i) => `${f0(mean(ms.map((m) => m.cpu.serverParts[i] ?? 0)))}%`).join(' + ') : `${f0(mean(ms.map((m) => m.cpu.server)))}%`} | ${f0(mean(ms.map((m) => (m.cpu.server * 10_000) / m.result.requests.average)))} | ${f0(mean(ms.map((m) => m.cpu.redis)))}% | ${f0(mean(ms.map((m) => m.cpu.postgres)))}% | ${f0(mean(ms.map((m) => m.cpu.machineBusy)))}% |`,
      );
    }
    out.push('', '| target | what |', '| --- | --- |', ...all.map((t) => `| ${t.name} | ${t.description} |`), '');
    const ratio = (a: string, b: string) => {
      const A = measurements.get(a) ?? [];
      const B = measurements.get(b) ?? [];
      const perRound = A.map((m, i) => m.result.requests.average / (B[i]?.result.requests.average ?? NaN));
      return { mean: mean(perRound), perRound };
    };
    out.push('| ratio (req/s) | value | per round | target | met |', '| --- | ---: | --- | ---: | --- |');
    for (const [a, b, goal] of [
      ['svc-cached', 'bare', 0.7],
      ['gw-cached', 'bare', 0.4],
      ['svc-nocache', 'svc-cached', undefined],
      ['gw-cached', 'svc-cached', undefined],
      ...(DIAGNOSE
        ? ([
            ['bare-object', 'bare', undefined],
            ['nest-real', 'bare', undefined],
            ['nest-nopipe', 'bare', undefined],
            ['nest-nopipe-alsonly', 'bare', undefined],
            ['nest-nopipe-nohook', 'bare', undefined],
            ['nest-raw', 'bare', undefined],
            ['bare-proxy', 'bare', undefined],
            ['gw-bare', 'bare', undefined],
            ['gw-bare', 'bare-proxy', undefined],
          ] as const)
        : []),
    ] as const) {
      const r = ratio(a, b);
      out.push(`| ${a} / ${b} | ${r.mean.toFixed(2)} | ${r.perRound.map((x) => x.toFixed(2)).join(' / ')} | ${goal === undefined ? '' : `≥ ${goal}`} | ${goal === undefined ? '' : r.mean >= goal ? 'yes' : 'no'} |`);
    }
    const cpuPerRequest = (name: string) => mean((measurements.get(name) ?? []).map((m) => (m.cpu.server * 10_000) / m.result.requests.average));
    out.push('', 'CPU-normalised (what the ratios would be if each server had the CPUs to itself: bare server CPU per request ÷ the target\'s, all its processes):', '');
    out.push('| target | server CPU µs/req | bare µs/req ÷ target µs/req |', '| --- | ---: | ---: |');
    for (const name of ['svc-cached', 'gw-cached', ...(DIAGNOSE ? ['nest-real', 'bare-proxy', 'gw-bare'] : [])]) {
      if (measurements.get(name)?.length) out.push(`| ${name} | ${f0(cpuPerRequest(name))} | ${(cpuPerRequest('bare') / cpuPerRequest(name)).toFixed(2)} |`);
    }
    out.push('', `POSTs sent in measured runs and warm-up: ${posted}; cache still warm after the runs: ${cacheStillWarm ? 'yes' : 'NO'}.`);
    const statuses = (name: string) => (measurements.get(name) ?? []).map((m) => Object.entries(m.result.statusCodeStats).map(([code, s]) => `${code}×${s.count}`).join(' ')).join(' | ');
    out.push(`Status codes: ${all.map((t) => `${t.name}: ${statuses(t.name)}`).join('; ')}`, '');
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await cleanup();
    clearTimeout(watchdog);
  }
}

const roles: Record<string, () => Promise<void>> = { main, bare: bareServer, nest: nestDiagnostic };
(roles[ROLE] ?? main)().then(
  () => {
    if (ROLE === 'main') process.exit(0);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
