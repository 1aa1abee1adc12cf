// PostgreSQL: use the server at DATABASE_URL (default: the local one); if nothing answers and
// no URL was given, start the locally installed cluster. Then create the database and one
// schema per service.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { CACHE_DIR, DEFAULT_DATABASE_URL, SERVICE_SCHEMAS, env } from './defaults.mjs';
import { InfraError, commandExists, log, removeFile, waitFor } from './lib/process.mjs';

const marker = join(CACHE_DIR, 'run', 'postgres.started');

export function databaseUrl() {
  return env('DATABASE_URL') ?? DEFAULT_DATABASE_URL;
}

function withDatabase(url, database) {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function query(url, sql, params = []) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

function localCluster() {
  if (!commandExists('pg_ctlcluster') || !existsSync('/etc/postgresql')) return undefined;
  const [version] = readdirSync('/etc/postgresql').sort().reverse();
  return version ? { version, name: 'main' } : undefined;
}

async function reachable(url) {
  try {
    await query(url, 'select 1');
    return true;
  } catch (error) {
    if (['ECONNREFUSED', 'ENOENT', 'ETIMEDOUT'].includes(error.code) || /timeout/i.test(error.message)) return false;
    throw new InfraError(`PostgreSQL at ${redact(url)} refused the connection: ${error.message}`,
      'Check the user, password and database in DATABASE_URL.');
  }
}

function redact(url) {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

export async function postgresUp() {
  const url = databaseUrl();
  const external = env('DATABASE_URL') !== undefined;
  const adminUrl = withDatabase(url, 'postgres');
  let started = false;

  if (!(await reachable(adminUrl))) {
    if (external) {
      throw new InfraError(`Nothing answers at DATABASE_URL=${redact(url)}.`, 'Start that server, or unset DATABASE_URL to use a local one.');
    }
    const cluster = localCluster();
    if (!cluster) {
      throw new InfraError(`No PostgreSQL answers at ${redact(url)} and no local cluster was found to start.`,
        'Install PostgreSQL 15+ (Debian: apt-get install -y postgresql), or set DATABASE_URL, or use `docker compose up`.');
    }
    log('postgres', `starting local cluster ${cluster.version}/${cluster.name}`);
    const result = spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', cluster.version, cluster.name, 'start'], { encoding: 'utf8' });
    if (result.status !== 0) {
      throw new InfraError(`pg_ctlcluster failed: ${result.stderr.trim()}`, 'Is port 5432 busy? See the PostgreSQL log under /var/log/postgresql.');
    }
    mkdirSync(join(CACHE_DIR, 'run'), { recursive: true });
    writeFileSync(marker, `${cluster.version} ${cluster.name}\n`);
    started = true;
    await waitFor('PostgreSQL', () => reachable(adminUrl), { timeoutMs: 30_000 });
  }

  const database = new URL(url).pathname.slice(1) || 'postgres';
  const exists = await query(adminUrl, 'select 1 from pg_database where datname = $1', [database]);
  if (exists.rowCount === 0) {
    // CREATE DATABASE takes no bind parameters; the name comes from our own URL, quoted as an identifier.
    await query(adminUrl, `create database "${database.replaceAll('"', '""')}"`);
    log('postgres', `created database ${database}`);
  }
  for (const schema of SERVICE_SCHEMAS) await query(url, `create schema if not exists ${schema}`);
  log('postgres', `ready at ${redact(url)} (schemas: ${SERVICE_SCHEMAS.join(', ')})`);
  return { started };
}

export async function postgresDown() {
  if (!existsSync(marker)) {
    log('postgres', 'not started by this project; leaving it running');
    return;
  }
  const [version, name] = readFileSync(marker, 'utf8').trim().split(' ');
  log('postgres', `stopping local cluster ${version}/${name}`);
  spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, name, 'stop'], { stdio: 'inherit' });
  removeFile(marker);
}

export function postgresStatus() {
  return existsSync(marker) ? `started by this project (${redact(databaseUrl())})` : `using ${redact(databaseUrl())}`;
}
