// Redis: use the server at REDIS_URL (default: the local one); if nothing answers and no URL
// was given, start the locally installed redis-server as a cache (no persistence).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { CACHE_DIR, DEFAULT_REDIS_URL, env } from './defaults.mjs';
import { InfraError, commandExists, log, readPid, removeFile, stopPid, waitFor } from './lib/process.mjs';

const stateDir = join(CACHE_DIR, 'run', 'redis');
const pidFile = join(stateDir, 'redis.pid');

export function redisUrl() {
  return env('REDIS_URL') ?? DEFAULT_REDIS_URL;
}

async function ping(url) {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export async function redisUp() {
  const url = redisUrl();
  if (await ping(url)) {
    log('redis', `ready at ${url}`);
    return { started: false };
  }
  if (env('REDIS_URL')) {
    throw new InfraError(`Nothing answers at REDIS_URL=${url}.`, 'Start that server, or unset REDIS_URL to use a local one.');
  }
  if (!commandExists('redis-server')) {
    throw new InfraError(`No Redis answers at ${url} and redis-server is not installed.`,
      'Install Redis 7 (Debian: apt-get install -y redis-server), or set REDIS_URL, or use `docker compose up`.');
  }
  const { hostname, port } = new URL(url);
  mkdirSync(stateDir, { recursive: true });
  log('redis', `starting redis-server on ${hostname}:${port}`);
  const result = spawnSync('redis-server', [
    '--daemonize', 'yes', '--bind', hostname, '--port', port || '6379', '--save', '', '--appendonly', 'no',
    '--dir', stateDir, '--pidfile', pidFile, '--logfile', join(stateDir, 'redis.log'),
  ], { encoding: 'utf8' });
  if (result.status !== 0) throw new InfraError(`redis-server failed to start: ${result.stderr.trim()}`, `Is port ${port} busy?`);
  await waitFor('Redis', () => ping(url), { timeoutMs: 15_000 });
  log('redis', `ready at ${url}`);
  return { started: true };
}

export async function redisDown() {
  const pid = readPid(pidFile, 'redis-server');
  if (!pid) {
    log('redis', 'not started by this project; leaving it running');
    return;
  }
  log('redis', `stopping redis-server (pid ${pid})`);
  await stopPid(pid, { name: 'redis' });
  removeFile(pidFile);
}

export function redisStatus() {
  const pid = readPid(pidFile, 'redis-server');
  return pid ? `started by this project (pid ${pid})` : `using ${redisUrl()}`;
}
