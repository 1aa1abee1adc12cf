import { randomUUID } from 'node:crypto';
import { describeEventStoreContract, noted } from '../testing/event-store.contract';
import { contractTestSchemas } from '../testing/test-schemas';
import { InMemoryEventStore } from './in-memory-event-store';

describeEventStoreContract('in-memory', async (schemas) => ({ store: new InMemoryEventStore(schemas) }));

describe('InMemoryEventStore.stage', () => {
  it('appends at once: there is no round trip to save and no transaction to wait for', async () => {
    const store = new InMemoryEventStore(contractTestSchemas().schemas);
    const aggregateId = randomUUID();
    await store.stage({ aggregateId, aggregateType: 'Note', expectedVersion: 0, events: [noted('staged')], transaction: {} });
    expect((await store.readStream(aggregateId)).map((e) => e.data['text'])).toEqual(['staged']);
  });
});
