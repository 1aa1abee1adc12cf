import { ScratchKafkaBroker, workspaceRoot } from '@causeway/testing';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

// A managed Kafka takes SASL (and TLS): infra checks and prepares it with the variables the apps'
// settings read, so `npm run infra:up` works against the Kafka the apps will use.
describe('infra against a Kafka that requires SASL (scratch broker)', () => {
  const credentials = { username: 'causeway', password: 'local-test-secret' };
  let broker: ScratchKafkaBroker;

  beforeAll(async () => {
    broker = await ScratchKafkaBroker.create({ sasl: credentials });
    await broker.start();
  }, 90_000);
  afterAll(() => broker?.dispose());

  it('creates the topics over SASL given KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD', async () => {
    const brokers = `127.0.0.1:${broker.saslPort}`;
    const up = spawnSync(process.execPath, ['--input-type=module', '-e', `const { kafkaUp } = await import(${JSON.stringify(join(workspaceRoot(), 'infra', 'kafka.mjs'))}); await kafkaUp();`], {
      encoding: 'utf8',
      env: { ...process.env, KAFKA_BROKERS: brokers, KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: credentials.username, KAFKA_SASL_PASSWORD: credentials.password },
      timeout: 90_000,
    });
    expect({ status: up.status, stderr: up.stderr }).toEqual({ status: 0, stderr: '' });
    const admin = new Kafka({ clientId: 'infra-sasl-it', brokers: [brokers], sasl: { mechanism: 'plain', ...credentials }, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).toEqual(expect.arrayContaining(['order_events', 'order_events.dlq', 'audit_events', 'system_events']));
    } finally {
      await admin.disconnect();
    }
  });
});
