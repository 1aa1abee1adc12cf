import { metrics } from '@causeway/observability';
import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';

export interface CacheStats {
  hits: number;
  misses: number;
  errors: number;
}

/** A cached view carries the version of its aggregate that the read model has reached. */
export interface VersionedView {
  version: number;
}

/** A view as a query answers it: undefined when there is none, and whether the cache served it. */
export interface ViewRead<T> {
  view: T | undefined;
  cached: boolean;
  /** On a cache hit, the entry as stored: `view` is parsed from it only when read. */
  entry?: CachedEntry;
}

/** A cached view: its version, and its JSON exactly as JSON.stringify wrote it. */
export interface CachedEntry {
  version: number;
  json: string;
}

/** What a projection just committed: an aggregate of its read model, at a version. */
export interface ProjectedEvent {
  aggregateType: string;
  aggregateId: string;
  version: number;
}

/*
 * An entry is "<version>|<view JSON>"; a stale marker is "<version>|": the read model holds at
 * least that version, so nothing older may be cached. Both are written by these scripts only,
 * each one atomic in Redis.
 */

/** KEYS[1] ← ARGV[2] (an entry of version ARGV[1]) for ARGV[3] ms, unless an equal or newer view, or a marker above it, is there. */
const STORE_UNLESS_STALE = `
local current = redis.call('GET', KEYS[1])
if current then
  local held = tonumber(string.match(current, '^(%d+)|'))
  local version = tonumber(ARGV[1])
  if held then
    local marker = string.sub(current, -1) == '|'
    if (marker and held > version) or (not marker and held >= version) then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

/**
 * KEYS[1] ← a marker at version ARGV[1] for ARGV[2] ms, unless a view or marker of that version
 * or newer is there already (replicas' invalidations may arrive out of order).
 */
const MARK_STALE_BELOW = `
local current = redis.call('GET', KEYS[1])
local held = current and tonumber(string.match(current, '^(%d+)|'))
if held and held >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1] .. '|', 'PX', ARGV[2])
return 1`;

/**
 * KEYS[1] ← ARGV[2] for ARGV[3] ms, or deleted when ARGV[2] is empty, if it still holds ARGV[1]:
 * a view read, then judged, is replaced only if nothing newer landed meanwhile.
 */
const REPLACE_IF_UNCHANGED = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1`;

const RETRY_MS = 1_000;
/** Keys asked of SCAN, and views judged, per round trip when a rebuilt read model's views are replaced. */
const SCAN_BATCH = 500;

type ScriptedRedis = Redis & {
  cacheStoreUnlessStale(key: string, version: number, entry: string, ttlMs: number): Promise<number>;
  cacheMarkStaleBelow(key: string, version: number, ttlMs: number): Promise<number>;
  cacheReplaceIfUnchanged(key: string, expected: string, replacement: string, ttlMs: number): Promise<number>;
};

/**
 * Cache-aside over Redis for query results (ARCHITECTURE §6). Redis is an optimisation: when it
 * is down or slow, reads go to the database and the request still succeeds.
 *
 * Entries are versioned, so a read that loaded a view just before the projection moved it on
 * cannot cache the old view after the projection's invalidation (plain GET/SET/DEL would keep
 * it until the TTL, an hour by default): invalidation leaves a marker of the version the read
 * model now holds, and a view older than the marker or than what is cached is not stored.
 */
export class QueryCache {
  private readonly logger = new Logger('QueryCache');
  readonly stats: CacheStats = { hits: 0, misses: 0, errors: 0 };
  private readonly redis: ScriptedRedis;
  private readonly unmarked = new Map<string, number>();
  private retry: NodeJS.Timeout | undefined;
  /** Keys of the retry on its way to Redis (taken out of `unmarked` while it is). */
  private retryingKeys = 0;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {
    // EVALSHA, loaded on first use; defined once per connection, which services share.
    if (!('cacheStoreUnlessStale' in redis)) {
      redis.defineCommand('cacheStoreUnlessStale', { numberOfKeys: 1, lua: STORE_UNLESS_STALE });
      redis.defineCommand('cacheMarkStaleBelow', { numberOfKeys: 1, lua: MARK_STALE_BELOW });
      redis.defineCommand('cacheReplaceIfUnchanged', { numberOfKeys: 1, lua: REPLACE_IF_UNCHANGED });
    }
    this.redis = redis as ScriptedRedis;
  }

  /**
   * The entry of `key`, or what `load` reads from the read model, then cached. `fresh` skips the
   * cache (a read-your-writes wait needs the database's answer). A TTL of 0 (settings:
   * redis.cache_ttl "0s") turns the cache off: every read goes to the database.
   */
  async getOrLoad<T extends VersionedView>(key: string, load: () => Promise<T | undefined>, fresh = false): Promise<ViewRead<T>> {
    if (fresh || this.ttlMs === 0) return { view: await load(), cached: false };
    const fullKey = `${this.prefix}:${key}`;
    try {
      const hit = await this.redis.get(fullKey);
      const entry = hit === null ? undefined : entryOf(hit);
      if (entry !== undefined) {
        this.stats.hits++;
        metrics.cacheRequests.inc({ result: 'hit' });
        return hitOf<T>(entry);
      }
    } catch (error) {
      this.degraded(error);
      return { view: await load(), cached: false };
    }
    this.stats.misses++;
    metrics.cacheRequests.inc({ result: 'miss' });
    const loaded = await load();
    if (loaded !== undefined) {
      await this.redis
        .cacheStoreUnlessStale(fullKey, loaded.version, `${loaded.version}|${JSON.stringify(loaded)}`, this.ttlMs)
        .catch((error: unknown) => this.degraded(error));
    }
    return { view: loaded, cached: false };
  }

  /**
   * A projection's batch (from its beforeCommit): the entries of the aggregates of
   * `aggregateType` among `events` (keyed by `keyOf(aggregateId)`) are stale below the newest
   * version projected. Never throws: what Redis misses is retried in the background.
   */
  async invalidate(events: readonly ProjectedEvent[], aggregateType: string, keyOf: (aggregateId: string) => string): Promise<void> {
    if (this.ttlMs === 0) return;
    const newest = new Map<string, number>();
    for (const e of events) {
      if (e.aggregateType !== aggregateType) continue;
      const key = `${this.prefix}:${keyOf(e.aggregateId)}`;
      newest.set(key, Math.max(e.version, newest.get(key) ?? 0));
    }
    await this.markStale(newest);
  }

  /**
   * A read model was rebuilt (its projection's afterRebuild): every cached view of it (keys
   * `keyPrefix` + id) was derived from the old model, and the replay's invalidations left those
   * in place, as it brought each row back to the version already cached. Each such view becomes
   * a stale marker at the version its row has now (so the rebuilt view, and nothing older, may be
   * cached next), or goes when the row is gone; `versionsOf` reads those versions from the read
   * model. Markers are left as they are. Redis being unavailable is reported, not thrown: the
   * views it keeps then expire with their TTL.
   */
  async replaceRebuiltViews(keyPrefix: string, versionsOf: (ids: readonly string[]) => Promise<ReadonlyMap<string, number>>): Promise<void> {
    if (this.ttlMs === 0) return;
    const match = `${this.prefix}:${keyPrefix}`;
    try {
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${match.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', SCAN_BATCH);
        cursor = next;
        if (keys.length === 0) continue;
        const stored = await this.redis.mget(keys);
        const views = keys.flatMap((key, i) => (stored[i] !== null && entryOf(stored[i] as string) ? [{ key, value: stored[i] as string, id: key.slice(match.length) }] : []));
        if (views.length === 0) continue;
        const versions = await versionsOf(views.map((v) => v.id));
        await Promise.all(views.map(({ key, value, id }) => {
          const version = versions.get(id);
          return this.redis.cacheReplaceIfUnchanged(key, value, version === undefined ? '' : `${version}|`, this.ttlMs);
        }));
      } while (cursor !== '0');
    } catch (error) {
      this.stats.errors++;
      this.logger.error(`cached views of the rebuilt ${keyPrefix}* read model not replaced, served until their TTL: ${(error as Error).message}`);
    }
  }

  /** Invalidations that failed (Redis unreachable) and are tried again until they succeed, counting a retry under way. */
  get pendingInvalidations(): number {
    return this.unmarked.size + this.retryingKeys;
  }

  private async markStale(markers: ReadonlyMap<string, number>): Promise<void> {
    // One call per key, not one script over all: keys of one call must share a Redis Cluster slot.
    const outcomes = await Promise.allSettled([...markers].map(([key, version]) => this.redis.cacheMarkStaleBelow(key, version, this.ttlMs)));
    const failed = [...markers.keys()].filter((_, i) => outcomes[i].status === 'rejected');
    if (failed.length === 0) return;
    // Not marked, an entry cached before would be served stale until its TTL once Redis answers
    // again: keep the markers and retry them, the newest version per key, until they land.
    this.stats.errors++;
    for (const key of failed) this.unmarked.set(key, Math.max(markers.get(key) ?? 0, this.unmarked.get(key) ?? 0));
    if (this.retry) return; // retrying already, reported when it began
    const reason = (outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason as Error;
    this.logger.error(`cache invalidation failed for ${failed.join(', ')}, retrying every ${RETRY_MS} ms until Redis answers: ${reason.message}`);
    this.retry = setInterval(() => void this.retryUnmarked(), RETRY_MS).unref();
  }

  private async retryUnmarked(): Promise<void> {
    if (this.retryingKeys > 0) return;
    const batch = new Map(this.unmarked);
    this.unmarked.clear();
    this.retryingKeys = batch.size;
    try {
      await this.markStale(batch);
    } finally {
      this.retryingKeys = 0;
      if (this.unmarked.size === 0 && this.retry) {
        clearInterval(this.retry);
        this.retry = undefined;
        this.logger.log('cache invalidations that had failed are applied');
      }
    }
  }

  /** Stops retrying invalidations; what was still pending is reported. */
  onApplicationShutdown(): void {
    if (this.retry) clearInterval(this.retry);
    this.retry = undefined;
    if (this.unmarked.size > 0) this.logger.error(`cache invalidations never applied, stale until their TTL: ${[...this.unmarked.keys()].join(', ')}`);
  }

  private degraded(error: unknown): void {
    this.stats.errors++;
    metrics.cacheRequests.inc({ result: 'error' });
    this.logger.warn(`Redis unavailable, reading from the database: ${(error as Error).message}`);
  }
}

const VERSION_PREFIX = /^(\d+)\|/;

/** What a stored entry holds; undefined for a stale marker, or anything not written by this cache (a miss). */
function entryOf(stored: string): CachedEntry | undefined {
  const prefix = VERSION_PREFIX.exec(stored);
  if (prefix === null || prefix[0].length === stored.length) return undefined;
  return { version: Number(prefix[1]), json: stored.slice(prefix[0].length) };
}

/**
 * A hit whose view is parsed only if someone reads it: an HTTP answer sends the entry's JSON as
 * is (answerView), and parsing it to serialize it again cost a cached GET 5–10% of its CPU.
 */
function hitOf<T>(entry: CachedEntry): ViewRead<T> {
  let view: T | undefined;
  return {
    cached: true,
    entry,
    get view(): T {
      return (view ??= JSON.parse(entry.json) as T);
    },
  };
}
