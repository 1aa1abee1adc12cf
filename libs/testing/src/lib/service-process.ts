import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceRoot } from './test-settings';
import { waitFor } from './wait-for';

export interface ServiceProcess {
  url: string;
  /** The app's process id, to read its CPU time from /proc (bench/saga). */
  pid: number;
  /**
   * SIGTERM and wait: a graceful shutdown. One that has not ended after STOP_GRACE_MS is killed
   * and the promise rejects: a hung shutdown is a bug to see, and must not outlive the test.
   */
  stop(): Promise<void>;
  /** SIGKILL and wait: a crash. */
  kill(): Promise<void>;
  logs(): string;
}

/**
 * Extra Node flags for every app, from SERVICE_NODE_ARGS (space-separated): profiling flags such
 * as `--cpu-prof --cpu-prof-dir=/tmp/prof`, which NODE_OPTIONS does not accept.
 */
function nodeArgs(): string[] {
  return (process.env['SERVICE_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
}

/** Longer than any app's own shutdown (Nest's hooks, the consumer's last commit, the pools' end). */
const STOP_GRACE_MS = 20_000;

/**
 * Runs an app (apps/<name>/src/main.ts) as a process of its own, from source through
 * @swc-node/register, and waits until its /health/ready answers 200.
 */
export async function startServiceProcess(app: string, port: number, env: Record<string, string>): Promise<ServiceProcess> {
  const root = workspaceRoot();
  const logFile = join(mkdtempSync(join(tmpdir(), `causeway-${app}-`)), 'output.log');
  const out = openSync(logFile, 'a');
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs(), '-r', '@swc-node/register', join(root, 'apps', app, 'src', 'main.ts')], {
    cwd: root,
    env: { ...process.env, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'), ...env },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const url = `http://127.0.0.1:${port}`;
  const logs = () => readFileSync(logFile, 'utf8');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  const stop = async () => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_GRACE_MS)));
    const outcome = await Promise.race([signal('SIGTERM'), late]).finally(() => clearTimeout(timer));
    if (outcome !== 'late') return;
    await signal('SIGKILL');
    throw new Error(`${app} had not stopped ${STOP_GRACE_MS} ms after SIGTERM and was killed:\n${logs().slice(-3000)}`);
  };
  try {
    await waitFor(`${app} to be ready on ${url}`, async () => {
      if (child.exitCode !== null) throw new Error(`${app} exited with ${child.exitCode}:\n${logs().slice(-3000)}`);
      const response = await fetch(`${url}/health/ready`).catch(() => undefined);
      return response?.status === 200;
    }, { timeoutMs: 60_000, intervalMs: 200 });
  } catch (error) {
    await signal('SIGKILL');
    throw error;
  }
  return { url, pid: child.pid ?? -1, stop, kill: () => signal('SIGKILL'), logs };
}
