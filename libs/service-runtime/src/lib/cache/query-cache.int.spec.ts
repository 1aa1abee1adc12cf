import { freePort, TcpProxy, testSettings, uniqueName, waitFor } from '@causeway/testing';
import Redis from 'ioredis';
import { QueryCache } from './query-cache';

describe('QueryCache', () => {
  const projected = (id: string, version: number) => [{ aggregateType: 'Note', aggregateId: id, version }];
  const keyOf = (id: string) => `note:${id}`;
  /** A hit: the view, and the entry it is parsed from (what an HTTP answer sends as is). */
  const hit = (version: number) => ({ view: { version }, cached: true, entry: { version, json: JSON.stringify({ version }) } });

  it('reads through Redis: a miss loads and stores, the next read is a hit, invalidation forgets (real Redis)', async () => {
    const redis = new Redis(testSettings().redis.url);
    const prefix = uniqueName('cache_test');
    const cache = new QueryCache(redis, prefix, 60_000);
    let version = 1;
    let loads = 0;
    const load = async () => (loads++, { version });
    try {
      expect(await cache.getOrLoad(keyOf('a'), load)).toEqual({ view: { version: 1 }, cached: false });
      expect(await cache.getOrLoad(keyOf('a'), load)).toEqual(hit(1));
      version = 2;
      await cache.invalidate([...projected('a', 2), { aggregateType: 'Other', aggregateId: 'b', version: 9 }], 'Note', keyOf);
      expect(await cache.getOrLoad(keyOf('a'), load)).toEqual({ view: { version: 2 }, cached: false });
      expect(await cache.getOrLoad(keyOf('a'), load)).toEqual(hit(2));
      expect(loads).toBe(2);
      expect(cache.stats).toEqual({ hits: 2, misses: 2, errors: 0 });
      // fresh: the database's answer, past a warm entry (read-your-writes waits read so).
      version = 3;
      expect(await cache.getOrLoad(keyOf('a'), load, true)).toEqual({ view: { version: 3 }, cached: false });
      expect(loads).toBe(3);
      expect(cache.stats).toEqual({ hits: 2, misses: 2, errors: 0 });

      // An entry this cache did not write (an older version's plain JSON) is a miss, then replaced.
      await redis.set(`${prefix}:${keyOf('old')}`, '{"version":7,"note":"a|b"}');
      expect(await cache.getOrLoad(keyOf('old'), async () => ({ version: 7 }))).toEqual({ view: { version: 7 }, cached: false });
      expect(await cache.getOrLoad(keyOf('old'), async () => ({ version: 8 }))).toEqual(hit(7));
    } finally {
      redis.disconnect();
    }
  });

  it('never caches a view older than the projection’s invalidation: a read that loaded before it commits its old view nowhere', async () => {
    const redis = new Redis(testSettings().redis.url);
    const cache = new QueryCache(redis, uniqueName('cache_test'), 60_000);
    try {
      // A read misses and loads version 1; before it stores that, the projection moves the view
      // to version 2 and invalidates. With GET/SET/DEL the late SET cached version 1 for the TTL.
      let loaded!: () => void;
      const slow = cache.getOrLoad(keyOf('a'), () => new Promise<{ version: number }>((resolve) => (loaded = () => resolve({ version: 1 }))));
      await waitFor('the read to be loading', () => loaded !== undefined);
      await cache.invalidate(projected('a', 2), 'Note', keyOf);
      loaded();
      expect((await slow).view).toEqual({ version: 1 }); // what the database said when asked
      expect(await cache.getOrLoad(keyOf('a'), async () => ({ version: 2 }))).toEqual({ view: { version: 2 }, cached: false });
      expect(await cache.getOrLoad(keyOf('a'), async () => ({ version: 3 }))).toEqual(hit(2));

      // Out-of-order invalidations (replicas) never lower the bar, and a view already as new as
      // an invalidation stays cached.
      await cache.invalidate(projected('a', 1), 'Note', keyOf);
      expect((await cache.getOrLoad(keyOf('a'), async () => ({ version: 0 }))).cached).toBe(true);
      await cache.invalidate(projected('a', 4), 'Note', keyOf);
      await cache.invalidate(projected('a', 3), 'Note', keyOf);
      expect(await cache.getOrLoad(keyOf('a'), async () => ({ version: 3 }))).toEqual({ view: { version: 3 }, cached: false });
      expect((await cache.getOrLoad(keyOf('a'), async () => ({ version: 4 }))).cached).toBe(false); // 3 was below the bar of 4: not stored
      expect(await cache.getOrLoad(keyOf('a'), async () => ({ version: 5 }))).toEqual(hit(4));
    } finally {
      redis.disconnect();
    }
  });

  it('degrades to the database when Redis is down: the read succeeds', async () => {
    // Nothing listens on this port: every Redis call fails fast, as when the cache is down.
    const redis = new Redis({ port: await freePort(), host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    redis.on('error', () => undefined);
    const cache = new QueryCache(redis, 'down', 60_000);
    try {
      expect(await cache.getOrLoad('k', async () => ({ from: 'database', version: 1 }))).toEqual({ view: { from: 'database', version: 1 }, cached: false });
      await cache.invalidate(projected('k', 2), 'Note', keyOf); // reported, not thrown
      expect(cache.stats.errors).toBe(2);
    } finally {
      cache.onApplicationShutdown();
      redis.disconnect();
    }
  });

  it('retries an invalidation Redis missed until it lands, so an entry cached before the outage is not served stale after it', async () => {
    const direct = new Redis(testSettings().redis.url);
    // Redis behind a proxy that is cut: down, then back when the proxy is restored.
    const proxy = await TcpProxy.to(testSettings().redis.url, 6379, { cut: true });
    const flaky = new Redis({ port: proxy.port, host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    flaky.on('error', () => undefined);
    const prefix = uniqueName('cache_test');
    const cache = new QueryCache(flaky, prefix, 60_000);
    try {
      await direct.set(`${prefix}:${keyOf('a')}`, '1|{"version":1}'); // cached before the outage
      await cache.invalidate(projected('a', 2), 'Note', keyOf);
      expect(cache.pendingInvalidations).toBe(1);
      await cache.invalidate(projected('a', 3), 'Note', keyOf); // folded: the newest version per key
      expect(cache.pendingInvalidations).toBe(1);

      await proxy.restore();
      await waitFor('the invalidation to land', () => cache.pendingInvalidations === 0, { timeoutMs: 10_000 });
      expect(await direct.get(`${prefix}:${keyOf('a')}`)).toBe('3|');
      expect(await cache.getOrLoad(keyOf('a'), async () => ({ version: 3 }))).toEqual({ view: { version: 3 }, cached: false });
    } finally {
      cache.onApplicationShutdown();
      flaky.disconnect();
      await direct.del(`${prefix}:${keyOf('a')}`);
      direct.disconnect();
      await proxy.cut();
    }
  });
});
