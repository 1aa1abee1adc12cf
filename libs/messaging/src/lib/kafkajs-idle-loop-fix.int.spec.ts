import { testSettings, uniqueName } from '@causeway/testing';
import { Kafka, logLevel } from 'kafkajs';
import { applyKafkajsIdleLoopFix } from './kafkajs-idle-loop-fix';

const RequestQueue: { prototype: { checkPendingRequests(): void } } = require('kafkajs/src/network/requestQueue');

describe('kafkajs idle loop fix (real Kafka)', () => {
  it('leaves an idle connection quiet, and requests still flow', async () => {
    applyKafkajsIdleLoopFix();
    const kafka = new Kafka({ clientId: 'idle-loop-fix', brokers: testSettings().kafka.brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer();
    const topic = uniqueName('idle_loop_fix');
    const original = RequestQueue.prototype.checkPendingRequests;
    let checks = 0;
    RequestQueue.prototype.checkPendingRequests = function (this: unknown) {
      checks++;
      return original.call(this);
    };
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await producer.connect();
      await producer.send({ topic, messages: [{ value: 'before' }] });

      checks = 0;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      // Unpatched, every connection re-checks its queue about once per millisecond: ~1,000 here.
      expect(checks).toBeLessThan(20);

      const [sent] = await producer.send({ topic, acks: -1, messages: Array.from({ length: 50 }, (_, i) => ({ value: `m${i}` })) });
      expect(sent.errorCode).toBe(0);
      const [offsets] = await admin.fetchTopicOffsets(topic);
      expect(offsets.high).toBe('51');
    } finally {
      RequestQueue.prototype.checkPendingRequests = original;
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
