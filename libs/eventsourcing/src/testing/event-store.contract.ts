import { randomUUID } from 'node:crypto';
import { ConcurrencyConflictError } from '../lib/errors';
import { waitFor } from '@causeway/testing';
import { START, type Checkpoint, type EventSchemas, type EventStore, type NewEvent, type StoredEvent } from '../lib/event-store.port';
import { contractTestSchemas } from './test-schemas';

export interface EventStoreHarness {
  store: EventStore;
  /** Tear down what `create` made (a schema, a pool). */
  dispose?: () => Promise<void>;
}

const metadata = () => ({ correlationId: randomUUID(), causationId: randomUUID(), source: 'contract-test' });

export function noted(text: string, eventId = randomUUID()): NewEvent {
  return { eventId, eventType: 'Noted', schemaVersion: 1, data: { text }, metadata: metadata() };
}

/**
 * One behavioural contract for every EventStore adapter. The PostgreSQL store (services) and the
 * in-memory store (unit tests) both run it, so a unit test on the in-memory store means what it
 * would mean in production.
 */
export function describeEventStoreContract(name: string, create: (schemas: EventSchemas) => Promise<EventStoreHarness>): void {
  describe(`EventStore contract: ${name}`, () => {
    let harness: EventStoreHarness;
    let store: EventStore;
    let deployV2: () => void;

    beforeEach(async () => {
      const test = contractTestSchemas();
      deployV2 = test.deployV2;
      harness = await create(test.schemas);
      store = harness.store;
    });
    afterEach(async () => harness.dispose?.());

    it('appends and reads a stream in version order, with the full envelope', async () => {
      const id = randomUUID();
      const first = await store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 0, events: [noted('a'), noted('b')] });
      expect(first).toMatchObject({ version: 2, duplicate: false });
      expect(first.positions).toHaveLength(2);
      expect(first.positions[1]).toBeGreaterThan(first.positions[0]);
      await store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 2, events: [noted('c')] });

      const events = await store.readStream(id);
      expect(events.map((e) => [e.version, e.data['text']])).toEqual([[1, 'a'], [2, 'b'], [3, 'c']]);
      expect(events[0]).toMatchObject({ aggregateId: id, aggregateType: 'Note', eventType: 'Noted', schemaVersion: 1 });
      expect(events[0].metadata).toMatchObject({ source: 'contract-test' });
      expect(new Date(events[0].timestamp).toISOString()).toBe(events[0].timestamp);
      expect((await store.readStream(id, 2)).map((e) => e.version)).toEqual([3]);
      expect(await store.readStream(randomUUID())).toEqual([]);
    });

    it('rejects a stale expected version with ConcurrencyConflictError and keeps versions gap-free', async () => {
      const id = randomUUID();
      await store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 0, events: [noted('a')] });
      const stale = store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 0, events: [noted('b')] });
      await expect(stale).rejects.toBeInstanceOf(ConcurrencyConflictError);
      await expect(stale).rejects.toMatchObject({ expectedVersion: 0, actualVersion: 1 });
      // Ahead of the stream would leave a gap: also a conflict.
      await expect(store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 5, events: [noted('c')] })).rejects.toBeInstanceOf(ConcurrencyConflictError);
      expect((await store.readStream(id)).map((e) => e.version)).toEqual([1]);
    });

    it('treats re-appending the same eventIds as a no-op, not a duplicate', async () => {
      const id = randomUUID();
      const events = [noted('a'), noted('b')];
      const first = await store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 0, events });
      const again = await store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 0, events });
      expect(again).toEqual({ version: 2, positions: first.positions, duplicate: true });
      // A retry that arrives after later appends is still recognised.
      await store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 2, events: [noted('c')] });
      expect((await store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 0, events })).duplicate).toBe(true);
      expect(await store.readStream(id)).toHaveLength(3);
    });

    it('rejects a payload that fails its schema, writing nothing', async () => {
      const id = randomUUID();
      const bad: NewEvent = { ...noted('x'), data: { text: 42 } };
      await expect(store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 0, events: [noted('ok'), bad] })).rejects.toThrow(/Noted.*text/);
      expect(await store.readStream(id)).toEqual([]);
    });

    it('reads all events in append order from a checkpoint, in batches', async () => {
      const { checkpoint: start } = await drain(store);
      const a = randomUUID();
      const b = randomUUID();
      await store.append({ aggregateId: a, aggregateType: 'Note', expectedVersion: 0, events: [noted('a1')] });
      await store.append({ aggregateId: b, aggregateType: 'Note', expectedVersion: 0, events: [noted('b1'), noted('b2')] });
      await store.append({ aggregateId: a, aggregateType: 'Note', expectedVersion: 1, events: [noted('a2')] });
      // A commit-safe log may hold events back while any older transaction on the server runs.
      await visible(store, start, 4);

      const page1 = await store.readAll(start, 3);
      const page2 = await store.readAll(page1.checkpoint, 3);
      const texts = [...page1.events, ...page2.events].map((e) => e.data['text']);
      expect(texts).toEqual(['a1', 'b1', 'b2', 'a2']);
      expect(page1.events).toHaveLength(3);
      const empty = await store.readAll(page2.checkpoint, 3);
      expect(empty.events).toEqual([]);
      expect(empty.checkpoint).toEqual(page2.checkpoint);
      expect((await store.readAll(START, 1)).events).toHaveLength(1);
    });

    it('keeps the newest snapshot per aggregate', async () => {
      const id = randomUUID();
      expect(await store.loadSnapshot(id)).toBeUndefined();
      await store.saveSnapshot({ aggregateId: id, aggregateType: 'Note', version: 100, schemaVersion: 1, state: { count: 100 } });
      await store.saveSnapshot({ aggregateId: id, aggregateType: 'Note', version: 50, schemaVersion: 1, state: { count: 50 } });
      expect(await store.loadSnapshot(id)).toEqual({ aggregateId: id, aggregateType: 'Note', version: 100, schemaVersion: 1, state: { count: 100 } });
      await store.saveSnapshot({ aggregateId: id, aggregateType: 'Note', version: 200, schemaVersion: 2, state: { total: 200 } });
      expect(await store.loadSnapshot(id)).toMatchObject({ version: 200, schemaVersion: 2, state: { total: 200 } });
    });

    it('loads an aggregate from a snapshot of its kind and the events after it, or from every event', async () => {
      const id = randomUUID();
      const kind = { aggregateType: 'Note', schemaVersion: 2 };
      expect(await store.loadAggregate(id, kind)).toEqual({ events: [] });
      await store.append({ aggregateId: id, aggregateType: 'Note', expectedVersion: 0, events: [noted('a'), noted('b'), noted('c')] });
      expect((await store.loadAggregate(id, kind)).events.map((e) => e.data['text'])).toEqual(['a', 'b', 'c']);

      await store.saveSnapshot({ aggregateId: id, aggregateType: 'Note', version: 2, schemaVersion: 2, state: { texts: ['a', 'b'] } });
      const fromSnapshot = await store.loadAggregate(id, kind);
      expect(fromSnapshot.snapshot).toEqual({ aggregateId: id, aggregateType: 'Note', version: 2, schemaVersion: 2, state: { texts: ['a', 'b'] } });
      expect(fromSnapshot.events.map((e) => [e.version, e.data['text']])).toEqual([[3, 'c']]);
      // What replay needs, and no more.
      expect(fromSnapshot.events[0]).toEqual({ eventType: 'Noted', version: 3, schemaVersion: 1, data: { text: 'c' } });

      // A snapshot of another shape (the aggregate changed) or another type is not used: full replay.
      for (const other of [{ ...kind, schemaVersion: 3 }, { ...kind, aggregateType: 'Memo' }]) {
        const replayed = await store.loadAggregate(id, other);
        expect(replayed.snapshot).toBeUndefined();
        expect(replayed.events.map((e) => e.version)).toEqual([1, 2, 3]);
      }
      await store.saveSnapshot({ aggregateId: id, aggregateType: 'Note', version: 3, schemaVersion: 2, state: { texts: ['a', 'b', 'c'] } });
      expect(await store.loadAggregate(id, kind)).toEqual({ snapshot: expect.objectContaining({ version: 3 }), events: [] });
    });

    it('reads an event stored at schema v1 as the current version, without rewriting it', async () => {
      const id = randomUUID();
      await store.append({
        aggregateId: id, aggregateType: 'Note', expectedVersion: 0,
        events: [{ eventId: randomUUID(), eventType: 'NameChanged', schemaVersion: 1, data: { name: 'Ada King Lovelace' }, metadata: metadata() }],
      });
      expect((await store.readStream(id))[0]).toMatchObject({ schemaVersion: 1, data: { name: 'Ada King Lovelace' } });
      deployV2();
      const [event] = await store.readStream(id);
      expect(event).toMatchObject({ schemaVersion: 2, data: { given: 'Ada', family: 'King Lovelace' } });
      const [fromLog] = await visible(store, START, 1, (e) => e.aggregateId === id);
      expect(fromLog).toMatchObject({ schemaVersion: 2, data: { given: 'Ada' } });
      const { events: [replayed] } = await store.loadAggregate(id, { aggregateType: 'Note', schemaVersion: 1 });
      expect(replayed).toEqual({ eventType: 'NameChanged', version: 1, schemaVersion: 2, data: { given: 'Ada', family: 'King Lovelace' } });
    });
  });
}

/** Reads the log after `from` until `count` matching events are visible, or fails after a deadline. */
async function visible(store: EventStore, from: Checkpoint, count: number, match: (e: StoredEvent) => boolean = () => true): Promise<StoredEvent[]> {
  return waitFor(`${count} events visible in the global log`, async () => {
    const { events } = await store.readAll(from, 1_000_000);
    const found = events.filter(match);
    return found.length >= count && found;
  }, { timeoutMs: 20_000 });
}

async function drain(store: EventStore) {
  let result = await store.readAll(START, 10_000);
  while (result.events.length > 0) result = await store.readAll(result.checkpoint, 10_000);
  return result;
}
