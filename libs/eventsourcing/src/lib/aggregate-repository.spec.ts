import { contractTestSchemas } from '../testing/test-schemas';
import { Aggregate, assertNever, type DomainEvent } from './aggregate';
import { AggregateRepository } from './aggregate-repository';
import { ConcurrencyConflictError, DomainRuleViolation } from './errors';
import type { EventStore } from './event-store.port';
import { InMemoryEventStore } from './in-memory-event-store';

type NoteCommand = { type: 'AddNote'; text: string } | { type: 'Close' };
type NoteEvent = DomainEvent<'Noted', { text: string }> | DomainEvent<'Closed', Record<string, never>>;
interface NoteState {
  count: number;
  closed: boolean;
}

class Notebook extends Aggregate<NoteState, NoteCommand, NoteEvent> {
  readonly aggregateType = 'Note';
  constructor(id: string, override readonly snapshotSchemaVersion = 1) {
    super(id);
  }
  protected initialState(): NoteState {
    return { count: 0, closed: false };
  }
  protected handle(command: NoteCommand): NoteEvent[] {
    if (this.state.closed) throw new DomainRuleViolation('notebook_closed', 'the notebook is closed');
    switch (command.type) {
      case 'AddNote':
        return [{ type: 'Noted', data: { text: command.text } }];
      case 'Close':
        return [{ type: 'Closed', data: {} }];
      default:
        return assertNever(command);
    }
  }
  protected apply(state: NoteState, event: NoteEvent): NoteState {
    switch (event.type) {
      case 'Noted':
        return { ...state, count: state.count + 1 };
      case 'Closed':
        return { ...state, closed: true };
      default:
        return assertNever(event);
    }
  }
}

const context = { correlationId: 'c-1', causationId: 'cmd-1', source: 'test', userId: 'u-1' };

function setup(snapshotInterval = 10) {
  const { schemas } = contractTestSchemas();
  const store = new InMemoryEventStore(schemas);
  const reads: number[] = [];
  const counting: EventStore = Object.assign(Object.create(store), {
    readStream: async (id: string, after?: number) => {
      const events = await store.readStream(id, after);
      reads.push(events.length);
      return events;
    },
  });
  const repo = (snapshotVersion = 1) => new AggregateRepository(counting, (id) => new Notebook(id, snapshotVersion), { schemas, snapshotInterval });
  return { store, repo, reads };
}

describe('AggregateRepository', () => {
  it('saves decided events with their metadata and loads them back', async () => {
    const { store, repo } = setup();
    const notebook = await repo().load('8a3c39a4-5f0e-4c36-9f5b-0a9c7a4f5d11');
    notebook.execute({ type: 'AddNote', text: 'a' });
    notebook.execute({ type: 'AddNote', text: 'b' });
    expect(notebook.persistedVersion).toBe(0);
    const result = await repo().save(notebook, context);
    expect(result.version).toBe(2);
    expect(notebook.uncommittedEvents).toEqual([]);
    const [first] = await store.readStream(notebook.id);
    expect(first.metadata).toEqual(context);
    const loaded = await repo().load(notebook.id);
    expect(loaded.version).toBe(2);
    expect(loaded.snapshotState).toEqual({ count: 2, closed: false });
  });

  it('snapshots every N events and loads snapshot + later events only', async () => {
    const { store, repo, reads } = setup(10);
    const id = '0b5c7d0e-1111-4c36-9f5b-0a9c7a4f5d11';
    for (let i = 0; i < 25; i++) {
      const notebook = await repo().load(id);
      notebook.execute({ type: 'AddNote', text: `n${i}` });
      await repo().save(notebook, context);
    }
    expect(await store.loadSnapshot(id)).toMatchObject({ version: 20, state: { count: 20, closed: false } });
    reads.length = 0;
    const loaded = await repo().load(id);
    expect(reads).toEqual([5]);
    expect(loaded.version).toBe(25);
    expect(loaded.snapshotState.count).toBe(25);
  });

  it('falls back to a full replay when the snapshot was taken of another state shape', async () => {
    const { repo, reads } = setup(5);
    const id = '0b5c7d0e-2222-4c36-9f5b-0a9c7a4f5d11';
    const notebook = await repo().load(id);
    for (let i = 0; i < 7; i++) notebook.execute({ type: 'AddNote', text: `n${i}` });
    await repo().save(notebook, context);
    reads.length = 0;
    const reshaped = await repo(2).load(id);
    expect(reads).toEqual([7]);
    expect(reshaped.snapshotState.count).toBe(7);
  });

  it('surfaces a business-rule violation before anything is stored', async () => {
    const { store, repo } = setup();
    const notebook = await repo().load('0b5c7d0e-3333-4c36-9f5b-0a9c7a4f5d11');
    notebook.execute({ type: 'Close' });
    await repo().save(notebook, context);
    const reloaded = await repo().load(notebook.id);
    expect(() => reloaded.execute({ type: 'AddNote', text: 'late' })).toThrow(DomainRuleViolation);
    expect(await store.readStream(notebook.id)).toHaveLength(1);
  });

  it('starts a new aggregate without reading the store, and refuses to save it over a taken id', async () => {
    const { store, repo } = setup();
    const id = '0b5c7d0e-4444-4c36-9f5b-0a9c7a4f5d11';
    const loads = jest.spyOn(store, 'loadAggregate');
    const fresh = repo().startNew(id);
    expect(loads).not.toHaveBeenCalled();
    expect(fresh.exists).toBe(false);
    fresh.execute({ type: 'AddNote', text: 'first' });
    expect((await repo().save(fresh, context)).version).toBe(1);

    const duplicate = repo().startNew(id);
    duplicate.execute({ type: 'AddNote', text: 'second' });
    await expect(repo().save(duplicate, context)).rejects.toBeInstanceOf(ConcurrencyConflictError);
    expect(await store.readStream(id)).toHaveLength(1);
  });

  it('rebuilds an aggregate from a stream the caller read in full, at its version, saving after it', async () => {
    const { store, repo } = setup();
    const id = '0b5c7d0e-5555-4c36-9f5b-0a9c7a4f5d11';
    const notebook = repo().startNew(id);
    notebook.execute({ type: 'AddNote', text: 'a' });
    notebook.execute({ type: 'Close' });
    await repo().save(notebook, context);

    const rebuilt = repo().fromStream(id, await store.readStream(id));
    expect(rebuilt.version).toBe(2);
    expect(rebuilt.snapshotState).toEqual({ count: 1, closed: true });
    expect(() => rebuilt.execute({ type: 'AddNote', text: 'late' })).toThrow(DomainRuleViolation);

    // Saved at the version it was rebuilt at: a stream that moved on meanwhile is a conflict.
    const early = repo().fromStream(id, (await store.readStream(id)).slice(0, 1));
    early.execute({ type: 'AddNote', text: 'b' });
    await expect(repo().save(early, context)).rejects.toBeInstanceOf(ConcurrencyConflictError);
  });
});
