import { ServiceLifecycle } from '@causeway/service-runtime';
import { adminQuery, freePort, TcpProxy, testSettings, uniqueName, waitFor } from '@causeway/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { spawn, type ChildProcess } from 'node:child_process';
import { Pool } from 'pg';
import { startUserService } from './start-user-service';

/** A Redis server of this test's own, so stopping it touches nobody else. */
class OwnRedis {
  private process: ChildProcess | undefined;

  constructor(readonly port: number) {}

  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    this.process = child;
    await waitFor(`redis-server on port ${this.port}`, async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      const socket = await import('node:net').then((net) => net.connect(this.port, '127.0.0.1'));
      return new Promise<boolean>((resolve) => socket.once('connect', () => (socket.end(), resolve(true))).once('error', () => resolve(false)));
    }, { timeoutMs: 10_000 });
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  }
}

/**
 * /health/ready follows its dependencies: false while Redis is down, true again once it is back,
 * without restarting the service. (/health/live stays true throughout.)
 */
describe('user-service readiness (real PostgreSQL and Kafka, a Redis of its own)', () => {
  const schema = uniqueName('user_ready');
  let redis: OwnRedis;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    redis = new OwnRedis(await freePort());
    await redis.start();
    const base = testSettings();
    const settings = { ...base, redis: { ...base.redis, url: `redis://127.0.0.1:${redis.port}` } };
    app = await startUserService(schema, settings);
  });

  afterAll(async () => {
    await app?.close();
    await redis?.stop();
    const pool = new Pool({ connectionString: testSettings().event_store.database_url });
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  const get = (url: string) => app.getHttpAdapter().getInstance().inject({ method: 'GET', url });
  const readiness = async () => {
    const response = await get('/health/ready');
    return { status: response.statusCode, body: response.json() };
  };

  it('turns not ready when Redis stops, and ready again when it is back, without a restart', async () => {
    const up = { status: 'up' };
    expect(await readiness()).toMatchObject({ status: 200, body: { status: 'ok', details: { migrations: up, postgres: up, redis: up, kafka: up } } });

    await redis.stop();
    const down = await waitFor('readiness to turn false', async () => {
      const answer = await readiness();
      return answer.status === 503 && answer;
    }, { timeoutMs: 15_000 });
    expect(down.body).toMatchObject({ statusCode: 503, message: 'not ready', details: { postgres: { status: 'up' }, kafka: { status: 'up' }, redis: { status: 'down', message: expect.any(String) } } });
    expect((await get('/health/live')).statusCode).toBe(200);
    // Reads still work: the cache is an optimisation, the database answers.
    expect((await get('/users?limit=1')).statusCode).toBe(200);

    await redis.start();
    await waitFor('readiness to turn true again', async () => (await readiness()).status === 200, { timeoutMs: 15_000 });
  });

  it('is not ready while its Kafka consumer is stopped after a crash, until a new one runs', async () => {
    // What bootstrapService's consumer hooks record (EventConsumer onCrashed / onRecovered).
    const lifecycle = app.get(ServiceLifecycle);
    lifecycle.consumerDown = 'The group coordinator is not available';
    try {
      const down = await readiness();
      expect(down).toMatchObject({ status: 503, body: { details: { kafka: { status: 'up' }, consumer: { status: 'down', message: 'stopped, restarting: The group coordinator is not available' } } } });
    } finally {
      lifecycle.consumerDown = undefined;
    }
    expect(await readiness()).toMatchObject({ status: 200, body: { details: { consumer: { status: 'up' } } } });
  });
});

/**
 * A PostgreSQL outage (the service's connections go through a proxy of this test's own, cut and
 * restored): requests that need the database answer 503 with Retry-After, never 500; the process
 * survives its idle connections being dropped; everything works again once the database is back.
 */
describe('user-service through a PostgreSQL outage (real PostgreSQL behind a proxy, real Kafka and Redis)', () => {
  const schema = uniqueName('user_pg_outage');
  let proxy: TcpProxy;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const base = testSettings();
    proxy = await TcpProxy.to(base.event_store.database_url, 5432);
    const settings = { ...base, event_store: { ...base.event_store, database_url: proxy.url(base.event_store.database_url), pool_timeout: 500 } };
    app = await startUserService(schema, settings);
  });

  afterAll(async () => {
    await proxy?.restore();
    await app?.close();
    await proxy?.cut();
    await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  const inject = (method: 'GET' | 'POST', url: string, payload?: object) => app.getHttpAdapter().getInstance().inject({ method, url, payload });
  const newUser = () => ({ email: `${uniqueName('u')}@example.com`, givenName: 'Ada', familyName: 'Lovelace' });

  it('answers 503 with Retry-After while the database is down, and serves again once it is back', async () => {
    expect((await inject('POST', '/users', newUser())).statusCode).toBe(201);

    await proxy.cut(); // every open connection dropped, new ones refused
    for (const [method, url, body] of [['POST', '/users', newUser()], ['GET', '/users?limit=5', undefined]] as const) {
      const answer = await inject(method, url, body);
      expect({ status: answer.statusCode, retryAfter: answer.headers['retry-after'], body: answer.json() }).toEqual({
        status: 503,
        retryAfter: '1',
        body: { statusCode: 503, error: 'Service Unavailable', message: 'database unavailable, try again shortly' },
      });
    }
    const ready = await inject('GET', '/health/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ details: { postgres: { status: 'down' } } });

    await proxy.restore();
    const created = await waitFor('a user created once the database is back', async () => {
      const answer = await inject('POST', '/users', newUser());
      return answer.statusCode === 201 && answer;
    }, { timeoutMs: 15_000 });
    expect(created.json()).toMatchObject({ version: 1 });
    await waitFor('ready again', async () => (await inject('GET', '/health/ready')).statusCode === 200, { timeoutMs: 15_000 });
  });
});
