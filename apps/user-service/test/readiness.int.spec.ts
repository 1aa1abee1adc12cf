import { createHttpApp } from '@causeway/service-runtime';
import { freePort, testSettings, uniqueName, waitFor } from '@causeway/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { spawn, type ChildProcess } from 'node:child_process';
import { Pool } from 'pg';
import { AppModule } from '../src/app.module';

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
    app = await createHttpApp(AppModule.register({ schema, settings }), settings);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
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
});
