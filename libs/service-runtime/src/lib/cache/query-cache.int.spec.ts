import { freePort, testSettings, uniqueName } from '@causeway/testing';
import Redis from 'ioredis';
import { QueryCache } from './query-cache';

describe('QueryCache', () => {
  it('reads through Redis: a miss loads and stores, the next read is a hit, invalidate forgets (real Redis)', async () => {
    const redis = new Redis(testSettings().redis.url);
    const cache = new QueryCache(redis, uniqueName('cache_test'), 60_000);
    let loads = 0;
    const load = async () => ({ n: ++loads });
    try {
      expect(await cache.getOrLoad('k', load)).toEqual({ value: { n: 1 }, cached: false });
      expect(await cache.getOrLoad('k', load)).toEqual({ value: { n: 1 }, cached: true });
      await cache.invalidate(['k']);
      expect(await cache.getOrLoad('k', load)).toEqual({ value: { n: 2 }, cached: false });
      expect(cache.stats).toEqual({ hits: 1, misses: 2, errors: 0 });
      await cache.invalidate(['k']);
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
      expect(await cache.getOrLoad('k', async () => ({ from: 'database' }))).toEqual({ value: { from: 'database' }, cached: false });
      await cache.invalidate(['k']); // reported, not thrown
      expect(cache.stats.errors).toBe(2);
    } finally {
      redis.disconnect();
    }
  });
});
