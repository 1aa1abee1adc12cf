import { randomUUID } from 'node:crypto';
import type { EventMetadata } from '@causeway/contracts';
import type { Aggregate, DomainEvent } from './aggregate';
import { AggregateNotFoundError, ConcurrencyConflictError } from './errors';
import type { AppendResult, EventSchemas, EventStore, StoredEvent } from './event-store.port';

type AnyAggregate = Aggregate<unknown, unknown, DomainEvent>;

export interface RepositoryOptions {
  schemas: EventSchemas;
  /** Take a snapshot when an append crosses a multiple of this many events (settings: event_store.snapshot_interval). */
  snapshotInterval: number;
  /** Called when a snapshot write fails; the save itself has succeeded by then. */
  onSnapshotError?: (error: unknown, aggregateId: string) => void;
}

/** Who and what caused the events being saved: becomes each event's metadata. */
export type CausationContext = Omit<EventMetadata, 'traceparent'> & { traceparent?: string };

/**
 * Loads aggregates (latest compatible snapshot + later events) and saves their new events with
 * the version they were loaded at, so a concurrent writer makes the append fail instead of
 * being overwritten.
 */
export class AggregateRepository<A extends AnyAggregate> {
  constructor(
    private readonly store: EventStore,
    private readonly create: (id: string) => A,
    private readonly options: RepositoryOptions,
  ) {}

  /** `transaction`: read inside the caller's open transaction (see EventStore), as save appends in it. */
  async load(id: string, transaction?: unknown): Promise<A> {
    const aggregate = this.create(id);
    const { snapshot, events } = await this.store.loadAggregate(id, { aggregateType: aggregate.aggregateType, schemaVersion: aggregate.snapshotSchemaVersion }, transaction);
    if (snapshot) aggregate.restoreSnapshot(snapshot.state, snapshot.version);
    aggregate.replay(events.map((e) => ({ type: e.eventType, data: e.data, version: e.version })));
    return aggregate;
  }

  /**
   * The aggregate from its whole stream, read by the caller (EventStore.readStream) because it
   * also needs the events' envelopes: one read serves both.
   */
  fromStream(id: string, events: readonly StoredEvent[]): A {
    const aggregate = this.create(id);
    aggregate.replay(events.map((e) => ({ type: e.eventType, data: e.data, version: e.version })));
    return aggregate;
  }

  /**
   * A new aggregate for an id the caller has just generated (a random UUID): there is nothing to
   * load, so no round trip to the store. Should the id be taken after all, saving it fails with
   * ConcurrencyConflictError (it is saved at expected version 0), so nothing is overwritten.
   */
  startNew(id: string): A {
    return this.create(id);
  }

  /** Loads an aggregate that must exist, at the version the caller last saw (If-Match) when given. */
  async loadExisting(id: string, expectedVersion?: number): Promise<A> {
    const aggregate = await this.load(id);
    if (!aggregate.exists) throw new AggregateNotFoundError(aggregate.aggregateType, id);
    if (expectedVersion !== undefined && aggregate.version !== expectedVersion) throw new ConcurrencyConflictError(id, expectedVersion, aggregate.version);
    return aggregate;
  }

  /** `transaction`: append inside the caller's open transaction (see AppendRequest.transaction). */
  async save(aggregate: A, context: CausationContext, transaction?: unknown): Promise<AppendResult> {
    const pending = aggregate.uncommittedEvents;
    const expectedVersion = aggregate.persistedVersion;
    if (pending.length === 0) return { version: expectedVersion, positions: [], duplicate: false };
    const timestamp = new Date().toISOString();
    const result = await this.store.append({
      aggregateId: aggregate.id,
      aggregateType: aggregate.aggregateType,
      expectedVersion,
      transaction,
      events: pending.map((event) => ({
        eventId: randomUUID(),
        eventType: event.type,
        schemaVersion: this.options.schemas.currentVersion(event.type),
        data: event.data as Record<string, unknown>,
        metadata: stripUndefined(context),
        timestamp,
      })),
    });
    aggregate.markCommitted();
    const interval = this.options.snapshotInterval;
    if (Math.floor(result.version / interval) > Math.floor(expectedVersion / interval)) {
      // A snapshot is an optimisation: failing to write one costs a longer replay, never correctness,
      // and must not turn a committed command into an error the client would retry.
      await this.store
        .saveSnapshot({
          aggregateId: aggregate.id,
          aggregateType: aggregate.aggregateType,
          version: result.version,
          schemaVersion: aggregate.snapshotSchemaVersion,
          state: aggregate.snapshotState,
        }, transaction)
        .catch((error: unknown) => this.options.onSnapshotError?.(error, aggregate.id));
    }
    return result;
  }
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
