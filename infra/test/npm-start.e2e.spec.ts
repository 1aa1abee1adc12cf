import { ALL_TOPICS, deadLetterTopic } from '@causeway/contracts';
import { adminQuery, freePort, testSettings, uniqueName, waitFor, workspaceRoot } from '@causeway/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';

/**
 * The front door: `npm start` as the README gives it (install if needed, infrastructure up,
 * build, every deployable app in its own process), answering through the gateway, and stopping
 * every app on SIGTERM. Its own database, topics, consumer groups and ports, so it runs beside a
 * developer's stack and leaves nothing behind.
 */
/** Whether any process of the group led by `pid` is still running. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start (e2e)', () => {
  it(
    'builds and starts the four services and the gateway; a user created through the gateway reads back; SIGTERM stops them all',
    async () => {
      const settings = testSettings();
      const database = uniqueName('causeway_npm_start');
      const databaseUrl = Object.assign(new URL(settings.event_store.database_url), { pathname: `/${database}` }).toString();
      const topicPrefix = `${database}.`;
      const topics = ALL_TOPICS.flatMap((topic) => [`${topicPrefix}${topic}`, deadLetterTopic(`${topicPrefix}${topic}`)]);
      const admin = new Kafka({ clientId: 'npm-start-e2e', brokers: settings.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
      const [gateway, users, orders, payments, notifications] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
      const url = (port: number) => `http://127.0.0.1:${port}`;
      let output = '';
      let start: ChildProcess | undefined;

      await adminQuery(`CREATE DATABASE ${database}`);
      await admin.connect();
      try {
        await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: settings.kafka.topic_partitions, replicationFactor: 1 })) });
        // In a process group of its own, signalled as a terminal's Ctrl-C signals the foreground group.
        start = spawn('npm', ['start'], {
          cwd: workspaceRoot(),
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: {
            ...process.env,
            DATABASE_URL: databaseUrl,
            KAFKA_TOPIC_PREFIX: topicPrefix,
            KAFKA_GROUP_PREFIX: `${database}_`,
            PORT: String(gateway),
            CAUSEWAY__HTTP__USER_SERVICE_PORT: String(users),
            CAUSEWAY__HTTP__ORDER_SERVICE_PORT: String(orders),
            CAUSEWAY__HTTP__PAYMENT_SERVICE_PORT: String(payments),
            CAUSEWAY__HTTP__NOTIFICATION_SERVICE_PORT: String(notifications),
            USER_SERVICE_URL: url(users),
            ORDER_SERVICE_URL: url(orders),
            PAYMENT_SERVICE_URL: url(payments),
            NOTIFICATION_SERVICE_URL: url(notifications),
          },
        });
        for (const stream of [start.stdout, start.stderr]) stream?.on('data', (chunk: Buffer) => (output += chunk.toString()));

        const ready = async (port: number) => (await fetch(`${url(port)}/health/ready`).catch(() => undefined))?.status === 200;
        const child = start;
        const exited = new Promise<never>((_, reject) => child.on('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output.slice(-4000)}`))));
        exited.catch(() => undefined); // after a successful start, the exit at the end is expected
        await Promise.race([
          waitFor('the four services and the gateway to answer /health/ready', async () => (await Promise.all([gateway, users, orders, payments, notifications].map(ready))).every(Boolean), {
            timeoutMs: 300_000,
            intervalMs: 500,
          }),
          exited,
        ]);
        expect(output).not.toMatch(/saga-e2e/); // test projects under apps/ are not started

        const created = await fetch(`${url(gateway)}/api/users`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: `${database}@example.com`, givenName: 'Npm', familyName: 'Start' }),
        });
        expect(created.status).toBe(201);
        const { id, version } = (await created.json()) as { id: string; version: number };
        // Retried on 202 as a client would: a cold service under CI load may need longer than its own wait.
        const read = await waitFor('the user at its version through the gateway', async () => {
          const response = await fetch(`${url(gateway)}/api/users/${id}?minVersion=${version}`);
          return response.status === 200 && response;
        }, { timeoutMs: 20_000 });
        expect(await read.json()).toMatchObject({ id, email: `${database}@example.com`, status: 'active' });
      } finally {
        const group = start?.pid;
        if (group && groupAlive(group)) {
          process.kill(-group, 'SIGTERM');
          await waitFor('every process of npm start to end', () => !groupAlive(group), { timeoutMs: 30_000 }).catch(() => process.kill(-group, 'SIGKILL'));
        }
        await admin.deleteTopics({ topics }).catch(() => undefined);
        await admin.disconnect();
        await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      }
      // Every app was stopped by the signal, not by a crash, and nothing of the stack is left running.
      for (const app of ['user-service', 'order-service', 'payment-service', 'notification-service', 'api-gateway']) expect(output).toMatch(new RegExp(`${app}\\s+│ exited \\((SIGTERM|0)\\)`));
      expect(groupAlive(start?.pid ?? 0)).toBe(false);
    },
    420_000,
  );
});
