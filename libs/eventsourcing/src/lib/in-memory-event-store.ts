import { ConcurrencyConflictError } from './errors';
import type { AggregateHistory, AppendRequest, AppendResult, Checkpoint, EventSchemas, EventStore, ReadAllResult, Snapshot, SnapshotKind, StagedAppend, StoredEvent } from './event-store.port';

/**
 * The EventStore for unit tests: same contract as PostgresEventStore (one shared test suite
 * proves it), no I/O. Each append is its own "transaction", committed at once.
 */
export class InMemoryEventStore implements EventStore {
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly log: StoredEvent[] = [];
  private readonly snapshots = new Map<string, Snapshot>();

  constructor(private readonly schemas: EventSchemas) {}

  async append(request: AppendRequest): Promise<AppendResult> {
    const { aggregateId, aggregateType, expectedVersion, events } = request;
    for (const event of events) this.schemas.validate(event.eventType, event.schemaVersion, event.data);
    const stream = this.streams.get(aggregateId) ?? [];

    const known = stream.filter((e) => events.some((n) => n.eventId === e.eventId));
    if (known.length === events.length && events.length > 0) {
      return { version: stream.length, positions: known.map((e) => e.position), duplicate: true };
    }
    if (known.length > 0 || stream.length !== expectedVersion) {
      throw new ConcurrencyConflictError(aggregateId, expectedVersion, stream.length);
    }
    const stored = events.map((event, i): StoredEvent => ({
      eventId: event.eventId,
      eventType: event.eventType,
      aggregateType,
      aggregateId,
      version: expectedVersion + i + 1,
      timestamp: event.timestamp ?? new Date().toISOString(),
      schemaVersion: event.schemaVersion,
      data: structuredClone(event.data),
      metadata: structuredClone(event.metadata),
      position: BigInt(this.log.length + i + 1),
    }));
    this.streams.set(aggregateId, [...stream, ...stored]);
    this.log.push(...stored);
    return { version: expectedVersion + stored.length, positions: stored.map((e) => e.position), duplicate: false };
  }

  /** No round trips to save here: appended at once. */
  async stage(request: StagedAppend): Promise<void> {
    if (request.events.length !== 1) throw new Error(`a staged append is one event, not ${request.events.length}`);
    await this.append(request);
  }

  async readStream(aggregateId: string, afterVersion = 0): Promise<StoredEvent[]> {
    return (this.streams.get(aggregateId) ?? []).filter((e) => e.version > afterVersion).map((e) => this.upcast(e));
  }

  async loadAggregate(aggregateId: string, kind: SnapshotKind): Promise<AggregateHistory> {
    const found = await this.loadSnapshot(aggregateId);
    const snapshot = found && found.aggregateType === kind.aggregateType && found.schemaVersion === kind.schemaVersion ? found : undefined;
    const events = (await this.readStream(aggregateId, snapshot?.version ?? 0)).map(({ eventType, version, schemaVersion, data }) => ({ eventType, version, schemaVersion, data }));
    return snapshot ? { snapshot, events } : { events };
  }

  async readAll(checkpoint: Checkpoint, limit: number): Promise<ReadAllResult> {
    // Every append commits at once, so position order is commit order; transactionId = position.
    const events = this.log.filter((e) => e.position > checkpoint.position).slice(0, limit).map((e) => this.upcast(e));
    const last = events.at(-1);
    return { events, checkpoint: last ? { transactionId: last.position, position: last.position } : checkpoint };
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    const existing = this.snapshots.get(snapshot.aggregateId);
    if (!existing || existing.version < snapshot.version) this.snapshots.set(snapshot.aggregateId, structuredClone(snapshot));
  }

  async loadSnapshot(aggregateId: string): Promise<Snapshot | undefined> {
    const snapshot = this.snapshots.get(aggregateId);
    return snapshot && structuredClone(snapshot);
  }

  private upcast(event: StoredEvent): StoredEvent {
    const current = this.schemas.upcast(event.eventType, event.schemaVersion, structuredClone(event.data));
    return { ...event, metadata: structuredClone(event.metadata), ...current };
  }
}
