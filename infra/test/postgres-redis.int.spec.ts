import { testSettings, uniqueName } from '@causeway/testing';
import Redis from 'ioredis';
import { Client } from 'pg';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const defaults = JSON.parse(readFileSync(join(__dirname, '..', 'defaults.json'), 'utf8'));

// Through the same settings the services load: config/causeway.tsk + DATABASE_URL / REDIS_URL.
describe('PostgreSQL and Redis (real servers)', () => {
  const settings = testSettings();

  it('PostgreSQL: the service schemas exist and a transaction round-trips', async () => {
    const client = new Client({ connectionString: settings.event_store.database_url });
    await client.connect();
    const schema = uniqueName('smoke');
    try {
      const { rows } = await client.query<{ nspname: string }>('select nspname from pg_namespace where nspname = any($1)', [defaults.postgres.schemas]);
      expect(rows.map((r) => r.nspname).sort()).toEqual([...defaults.postgres.schemas].sort());

      await client.query(`create schema ${schema}`);
      await client.query(`create table ${schema}.t (id int primary key, body jsonb not null)`);
      await client.query('begin');
      await client.query(`insert into ${schema}.t values (1, $1)`, [{ hello: 'world' }]);
      await client.query('commit');
      await client.query('begin');
      await client.query(`insert into ${schema}.t values (2, '{}')`);
      await client.query('rollback');
      const result = await client.query(`select id, body from ${schema}.t order by id`);
      expect(result.rows).toEqual([{ id: 1, body: { hello: 'world' } }]);
    } finally {
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    }
  });

  it('Redis: set with TTL, read back, expire', async () => {
    const redis = new Redis(settings.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const key = uniqueName('smoke');
    try {
      await redis.set(key, JSON.stringify({ a: 1 }), 'PX', Math.min(settings.redis.cache_ttl, 60_000));
      expect(JSON.parse((await redis.get(key)) ?? 'null')).toEqual({ a: 1 });
      expect(await redis.pttl(key)).toBeGreaterThan(0);
    } finally {
      await redis.del(key);
      redis.disconnect();
    }
  });
});
