import { ScratchKafkaBroker, uniqueName, waitFor } from '@causeway/testing';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaConnection, type KafkaConnectionSettings } from './kafka-connection';

/** The settings' TLS/SASL keys reach a real broker that requires SASL (a listener of a scratch broker). */
describe('kafkaConnection (a real broker with a SASL/PLAIN listener)', () => {
  const credentials = { username: 'causeway', password: 'local-test-secret' };
  let broker: ScratchKafkaBroker;
  let settings: KafkaConnectionSettings;

  beforeAll(async () => {
    broker = await ScratchKafkaBroker.create({ sasl: credentials });
    await broker.start();
    settings = { brokers: [`127.0.0.1:${broker.saslPort}`], ssl: false, sasl_mechanism: 'plain', sasl_username: credentials.username, sasl_password: credentials.password };
  }, 90_000);
  afterAll(() => broker?.dispose());

  // A fresh broker's group coordinator takes a moment to come up: the working client retries as the services' do.
  const client = (connection: KafkaConnectionSettings, retries = 5) => new Kafka({ clientId: 'kafka-connection-it', ...kafkaConnection(connection), logLevel: logLevel.NOTHING, retry: { retries } });

  it('authenticates with the configured mechanism and credentials: a message goes through', async () => {
    const kafka = client(settings);
    const topic = uniqueName('sasl_it');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'k', value: 'through SASL' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: uniqueName('sasl_it') });
    const received: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void received.push(String(message.value)) });
    try {
      await waitFor('the message back', () => received.length > 0, { timeoutMs: 30_000 });
      expect(received).toEqual(['through SASL']);
    } finally {
      await consumer.disconnect();
    }
  });

  it('is refused with a wrong password, and without SASL at all', async () => {
    const wrong = client({ ...settings, sasl_password: 'not-it' }, 0).admin();
    await expect(wrong.connect()).rejects.toThrow(/SASL PLAIN authentication failed/);
    // A broker answers ApiVersions before authentication; it is the first real request that fails.
    const none = client({ ...settings, sasl_mechanism: '' }, 0).admin();
    try {
      await expect(none.connect().then(() => none.listTopics())).rejects.toThrow();
    } finally {
      await none.disconnect();
    }
  });

  it('asks for TLS and SASL only as the settings say', () => {
    expect(kafkaConnection({ ...settings, sasl_mechanism: '' })).toEqual({ brokers: settings.brokers });
    expect(kafkaConnection({ ...settings, ssl: true, sasl_mechanism: 'scram-sha-512' })).toEqual({
      brokers: settings.brokers,
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'causeway', password: 'local-test-secret' },
    });
  });
});
