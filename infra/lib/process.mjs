import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';

export class InfraError extends Error {
  constructor(message, hint) {
    super(hint ? `${message}\n  → ${hint}` : message);
    this.name = 'InfraError';
  }
}

export function log(component, message) {
  process.stdout.write(`[infra:${component}] ${message}\n`);
}

export function commandExists(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The pid recorded in `file`, if that process is alive and its command line still contains
 * `needle` (a recycled pid must not make us re-use or kill a stranger's process).
 */
export function readPid(file, needle) {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle) ? pid : undefined;
  } catch {
    return pid; // no /proc (macOS): trust the pid file
  }
}

export function writePid(file, pid) {
  writeFileSync(file, `${pid}\n`);
}

export function removeFile(file) {
  rmSync(file, { force: true });
}

/** True when something accepts TCP connections on host:port. */
export function portOpen(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (open) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Polls `probe` until it returns a truthy value or the deadline passes. */
export async function waitFor(what, probe, { timeoutMs = 60_000, intervalMs = 250, onTimeout } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      const result = await probe();
      if (result) return result;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const detail = lastError ? ` (last error: ${lastError.message})` : '';
  throw new InfraError(`${what} did not become ready within ${timeoutMs / 1000}s${detail}`, onTimeout?.());
}

export async function stopPid(pid, { name, timeoutMs = 30_000 }) {
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (isAlive(pid)) {
    log(name, `did not stop within ${timeoutMs / 1000}s; sending SIGKILL`);
    process.kill(pid, 'SIGKILL');
  }
}
