import { ALL_TOPICS, deadLetterTopic } from '@causeway/contracts';
import { startUserServiceBehindGateway, testSettings, uniqueName, waitFor, workspaceRoot, type GatewayStack, type ServiceProcess } from '@causeway/testing';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** A `causeway` process, run from source as `npm run causeway` runs it, and what it printed. */
interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * The `causeway` CLI as a process against the gateway and user-service as processes, on real
 * PostgreSQL, Kafka and Redis, in a database of this test's own.
 */
describe('causeway CLI (e2e)', () => {
  let stack: GatewayStack;
  let gateway: ServiceProcess;

  const cli = (args: string[], extraEnv: Record<string, string> = {}): CliRun => {
    const root = workspaceRoot();
    const child = spawn(process.execPath, ['-r', '@swc-node/register', join(root, 'apps', 'cli', 'src', 'main.ts'), ...args], {
      cwd: root,
      env: { ...process.env, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'), CAUSEWAY_GATEWAY_URL: gateway.url, ...stack.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk) => (out += chunk));
    child.stderr?.on('data', (chunk) => (err += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    return { child, stdout: () => out, stderr: () => err, exited };
  };
  const run = async (args: string[], extraEnv?: Record<string, string>) => {
    const started = cli(args, extraEnv);
    const code = await started.exited;
    return { code, stdout: started.stdout(), stderr: started.stderr() };
  };
  const createUser = async (email: string, correlationId: string) => {
    const response = await fetch(`${gateway.url}/api/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId },
      body: JSON.stringify({ email, givenName: 'Cli', familyName: 'User' }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  };

  beforeAll(async () => {
    stack = await startUserServiceBehindGateway('causeway_cli');
    gateway = stack.gateway;
  }, 120_000);

  afterAll(() => stack?.stop());

  it('lists the projections, and rebuilds one, waiting until it has caught up', async () => {
    const id = await createUser('cli-rebuild@example.com', 'cli-rebuild');
    await waitFor('the user projected', async () => (await fetch(`${gateway.url}/api/users/${id}?minVersion=1`)).status === 200, { timeoutMs: 20_000 });

    const listed = await run(['projections']);
    const [header, users] = listed.stdout.trim().split('\n');
    expect(header).toMatch(/^SERVICE\s+PROJECTION\s+CHECKPOINT \(xid\/position\)\s+LAG EVENTS\s+LAG S\s+REBUILD$/);
    expect(users).toMatch(/^user-service\s+users\s+\d+\/\d+\s+\d+\s+[\d.]+\s*$/);
    // Only user-service runs here: the others are named, and the exit code says something is wrong.
    expect(listed.stderr).toBe('not answering: order-service, payment-service, notification-service\n');
    expect(listed.code).toBe(1);

    const rebuilt = await run(['projections', 'rebuild', 'user-service', 'users']);
    expect(rebuilt.stderr).toBe('');
    expect(rebuilt.code).toBe(0);
    const lines = rebuilt.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^user-service users: rebuild started at \d{4}-\d\d-\d\dT/);
    expect(lines.at(-1)).toMatch(/^user-service users: rebuilt; \d+ events behind the log now$/);

    const missing = await run(['projections', 'rebuild', 'user-service', 'nothing']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('404 user-service has no projection nothing');
  });

  it('shows the stored events of one correlation id across services, as lines or as JSON', async () => {
    const id = await createUser('cli-events@example.com', 'cli-events');
    const lines = await run(['events', '--correlation-id', 'cli-events']);
    expect(lines.code).toBe(1); // three services are not running
    const shown = lines.stdout.trim().split('\n');
    expect(shown).toHaveLength(2);
    expect(shown.some((l) => /user-service\s+UserCreated\s+User\//.test(l) && l.includes(`${id} v1`))).toBe(true);
    expect(shown.some((l) => /user-service\s+CommandAudited\s+/.test(l))).toBe(true);

    const cut = await run(['events', '--correlation-id', 'cli-events', '--limit', '1']);
    expect(cut.stdout.trim().split('\n')).toHaveLength(1);
    expect(cut.stderr).toContain('more matches than shown (each service sends its oldest 1): user-service; narrow the filter or raise --limit');

    const json = await run(['events', '--aggregate-id', id, '--json']);
    expect(json.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ eventType: 'UserCreated', aggregateId: id, service: 'user-service', metadata: expect.objectContaining({ correlationId: 'cli-events' }) })]);
  });

  it('tails a topic: events published after it started, until Ctrl-C', async () => {
    const tail = cli(['tail', 'user_events']);
    try {
      await waitFor('the tail to join its group', () => tail.stderr().includes('tailing user_events from now on'), { timeoutMs: 30_000 });
      const id = await createUser('cli-tail@example.com', 'cli-tail');
      await waitFor('UserCreated in the tail', () => tail.stdout().split('\n').find((l) => l.includes(`UserCreated  User/${id} v1  correlation cli-tail`)), { timeoutMs: 20_000 });
      expect(tail.stdout()).toMatch(/^user_events\[\d+\]@\d+ {2}\d{4}-/m);
    } finally {
      tail.child.kill('SIGINT');
    }
    expect(await tail.exited).toBe(0);
  });

  it('creates the topics and their .dlq twins where missing, and leaves existing ones as they are', async () => {
    const prefix = `${uniqueName('cli_topics')}.`;
    const names = ALL_TOPICS.flatMap((t) => [t, deadLetterTopic(t)]).map((t) => `${prefix}${t}`);
    const admin = new Kafka({ clientId: 'cli-e2e', brokers: testSettings().kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const first = await run(['topics', 'create', '--partitions', '2'], { KAFKA_TOPIC_PREFIX: prefix });
      expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
      expect(first.stdout.trim().split('\n')).toEqual(names.map((n) => `created ${n} (2 partitions, replication 1)`));
      const metadata = await admin.fetchTopicMetadata({ topics: names });
      expect(metadata.topics.map((t) => t.partitions.length)).toEqual(names.map(() => 2));
      const [config] = (await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: names[0], configNames: ['retention.ms'] }] })).resources;
      expect(config.configEntries[0].configValue).toBe(String(testSettings().kafka.retention));

      const again = await run(['topics', 'create'], { KAFKA_TOPIC_PREFIX: prefix });
      expect(again.stdout.trim().split('\n')).toEqual(names.map((n) => `exists  ${n} (left as it is)`));

      const refused = await run(['topics', 'create', '--replication-factor', '3'], { KAFKA_TOPIC_PREFIX: `${uniqueName('cli_topics')}.` });
      expect(refused.code).toBe(1);
      // One broker here: Kafka's own refusal, said once, not once per topic.
      expect(refused.stderr).toBe('causeway: KafkaJSAggregateError: Topic creation errors; Replication-factor is invalid\n');
    } finally {
      await admin.deleteTopics({ topics: names }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('says what is wrong with a command line (exit 2) and with a wrong admin token (exit 1)', async () => {
    const noFilter = await run(['events']);
    expect(noFilter.code).toBe(2);
    expect(noFilter.stderr).toMatch(/^causeway: events needs exactly one of --correlation-id, --aggregate-id, --type\n\ncauseway — operate/);
    expect((await run(['rebuild'])).stderr).toMatch(/^causeway: unknown command rebuild\n/);
    expect((await run(['projections', 'rebuild', 'user-service'])).code).toBe(2);
    expect((await run(['projections', '--timeout', 'soon', 'rebuild', 'a', 'b'])).stderr).toMatch(/^causeway: --timeout must be a positive number of seconds, not soon/);

    const refused = await run(['projections'], { ADMIN_TOKEN: 'not-the-admin-token-at-all' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/401 .*set ADMIN_TOKEN to the gateway’s http.admin_token/);
    const help = await run(['--help']);
    expect([help.code, help.stdout.split('\n')[0]]).toEqual([0, 'causeway — operate a running Causeway stack']);
  });
});
