import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { waitFor } from './wait-for';
import { workspaceRoot } from './test-settings';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A real Kafka broker of a test's own (same jars as the local broker, own ports and data),
 * for tests that stop, kill and restart Kafka without disturbing anything else.
 */
export class ScratchKafkaBroker {
  private process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly command: { command: string; args: string[] },
    /** The SASL_PLAINTEXT listener's port, when created with `sasl`. */
    readonly saslPort?: number,
  ) {}

  /** `sasl`: also a listener that admits this one user by SASL/PLAIN (at `saslPort`). */
  static async create(options: { sasl?: { username: string; password: string } } = {}): Promise<ScratchKafkaBroker> {
    const port = await freePort();
    const controllerPort = await freePort();
    const saslPort = options.sasl ? await freePort() : undefined;
    const dir = mkdtempSync(join(tmpdir(), 'causeway-kafka-'));
    const sasl = options.sasl && saslPort ? ['--sasl-port', String(saslPort), '--sasl-username', options.sasl.username, '--sasl-password', options.sasl.password] : [];
    const result = spawnSync('node', [join(workspaceRoot(), 'infra', 'kafka-broker.mjs'), '--port', String(port), '--controller-port', String(controllerPort), '--dir', dir, ...sasl], {
      encoding: 'utf8',
      env: { ...process.env, KAFKA_HEAP: process.env['KAFKA_HEAP'] ?? '384m' },
    });
    if (result.status !== 0) throw new Error(`preparing a scratch Kafka broker failed: ${result.stderr}${result.stdout}`);
    const lastLine = result.stdout.trim().split('\n').at(-1) ?? '';
    return new ScratchKafkaBroker(port, dir, JSON.parse(lastLine), saslPort);
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  async start(): Promise<void> {
    const log = openSync(join(this.dir, 'kafka.log'), 'a');
    this.process = spawn(this.command.command, this.command.args, { stdio: ['ignore', log, log] });
    const admin = new Kafka({ clientId: 'scratch-probe', brokers: this.brokers, logLevel: logLevel.NOTHING, retry: { retries: 2 } }).admin();
    try {
      await waitFor(`scratch Kafka on :${this.port}`, async () => {
        if (this.process?.exitCode !== null) throw new Error(`broker exited (${this.process?.exitCode}); see ${this.dir}/kafka.log`);
        await admin.connect();
        const cluster = await admin.describeCluster();
        return cluster.controller !== null && cluster.controller >= 0;
      }, { timeoutMs: 60_000, intervalMs: 250 });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** SIGKILL: a crash, not a shutdown. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
    this.process = undefined;
  }
}
