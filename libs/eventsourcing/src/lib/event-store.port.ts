import type { EventEnvelope, EventMetadata } from '@causeway/contracts';

/** An event about to be appended; the store assigns its version and position. */
export interface NewEvent {
  eventId: string;
  eventType: string;
  schemaVersion: number;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  /** UTC ISO-8601; defaults to now. */
  timestamp?: string;
}

export interface AppendRequest {
  aggregateId: string;
  aggregateType: string;
  /** The version the writer decided on: 0 for a new aggregate. The first new event gets expectedVersion + 1. */
  expectedVersion: number;
  events: readonly NewEvent[];
  /** Also write outbox rows (same transaction) so the relay publishes these events. Default true. */
  publish?: boolean;
  /**
   * Append inside the caller's open transaction (adapter-specific: a pg PoolClient for
   * PostgresEventStore), so other writes — an email reservation, an inbox row — commit with the events.
   */
  transaction?: unknown;
}

/** An append of one event, inside a caller's transaction (see EventStore.stage). */
export interface StagedAppend extends AppendRequest {
  events: readonly [NewEvent];
  transaction: unknown;
}

export interface AppendResult {
  /** The aggregate's version after the append. */
  version: number;
  /** Global positions of the appended events, in order. */
  positions: bigint[];
  /** True when every eventId was already stored: the append was a repeat and changed nothing. */
  duplicate: boolean;
}

/** An event as stored: the envelope plus its global position. */
export interface StoredEvent extends EventEnvelope {
  position: bigint;
}

/**
 * Where a reader of the global log stands. Ordered by (transactionId, position) so that an event
 * whose transaction commits late is still read (see PostgresEventStore.readAll).
 */
export interface Checkpoint {
  transactionId: bigint;
  position: bigint;
}

export const START: Checkpoint = Object.freeze({ transactionId: 0n, position: 0n });

export interface ReadAllResult {
  events: StoredEvent[];
  /** Pass back to continue after the last event returned (unchanged when none were). */
  checkpoint: Checkpoint;
  /**
   * Committed events follow these but are held back behind an older transaction still running
   * (one that may yet commit an event before them): read again soon. That transaction need not
   * append here, so no append notification may come when it ends.
   */
  heldBack?: boolean;
}

export interface Snapshot<TState = unknown> {
  aggregateId: string;
  aggregateType: string;
  version: number;
  /** The shape of `state`; a snapshot whose schemaVersion differs from the aggregate's is ignored. */
  schemaVersion: number;
  state: TState;
}

/** Which snapshots `loadAggregate` may use: the aggregate's type and current snapshot shape. */
export interface SnapshotKind {
  aggregateType: string;
  schemaVersion: number;
}

/**
 * What replaying an event needs: its type, version and (upcast) data. Loading an aggregate
 * reads only these; ids, metadata, times and positions would be decoded for nothing.
 */
export type ReplayedEvent = Pick<StoredEvent, 'eventType' | 'version' | 'schemaVersion' | 'data'>;

/** An aggregate's history as a repository replays it: a usable snapshot, if any, then the events after it. */
export interface AggregateHistory {
  snapshot?: Snapshot;
  events: ReplayedEvent[];
}

/**
 * The reads take the caller's open `transaction` (as append does) when there is one: a read
 * that took a second connection from the pool while the caller holds one can deadlock the
 * pool (every connection held by a transaction waiting for another), and inside the
 * transaction it also sees what the transaction wrote and locked.
 */
export interface EventStore {
  append(request: AppendRequest): Promise<AppendResult>;
  /**
   * Appends `request` in its transaction, as if now, but without a round trip of its own: its
   * events are written in the same statement as the transaction's next append, or just before
   * the transaction commits if none follows; a rollback drops them. For records about the work
   * that follows, such as a command's audit record: staged before the command's own append,
   * they cost nothing more. Each staged request is one event; a conflict of one surfaces from
   * the append or commit that writes it. Where the transaction's commit cannot be observed (or
   * an adapter has no round trips to save), the request is appended at once.
   */
  stage(request: StagedAppend): Promise<void>;
  /** Events of one aggregate with version > afterVersion, oldest first, upcast to current schemas. */
  readStream(aggregateId: string, afterVersion?: number, transaction?: unknown): Promise<StoredEvent[]>;
  /**
   * The latest snapshot of `kind` (one of another type or shape is ignored) and the events after
   * it, or every event when there is none: what loading an aggregate needs, in one read.
   */
  loadAggregate(aggregateId: string, kind: SnapshotKind, transaction?: unknown): Promise<AggregateHistory>;
  /** The global log after `checkpoint`, in commit-safe order, at most `limit` events. */
  readAll(checkpoint: Checkpoint, limit: number, transaction?: unknown): Promise<ReadAllResult>;
  /** With `transaction`, the snapshot commits (or not) with the events it describes. */
  saveSnapshot(snapshot: Snapshot, transaction?: unknown): Promise<void>;
  loadSnapshot(aggregateId: string): Promise<Snapshot | undefined>;
}

/**
 * How the store checks and upgrades payloads. `@causeway/contracts` provides one
 * (`catalogSchemas`); a team using this library alone can bring its own.
 */
export interface EventSchemas {
  /** Throws when `data` is not a valid current-version payload of `eventType`. */
  validate(eventType: string, schemaVersion: number, data: Record<string, unknown>): void;
  /** Reads a stored payload of any older schema version as the current version. */
  upcast(eventType: string, schemaVersion: number, data: Record<string, unknown>): { schemaVersion: number; data: Record<string, unknown> };
  currentVersion(eventType: string): number;
  /** The Kafka topic the event is published to (the outbox row records it). */
  topic(eventType: string): string;
}
