export { Aggregate, assertNever, type DomainEvent } from './lib/aggregate';
export { AggregateRepository, type CausationContext, type RepositoryOptions } from './lib/aggregate-repository';
export { catalogSchemas } from './lib/catalog-schemas';
export { uuidV5 } from './lib/deterministic-id';
export { AggregateNotFoundError, ConcurrencyConflictError, DomainRuleViolation } from './lib/errors';
export {
  START,
  type AggregateHistory,
  type ReplayedEvent,
  type AppendRequest,
  type AppendResult,
  type Checkpoint,
  type EventSchemas,
  type EventStore,
  type NewEvent,
  type ReadAllResult,
  type Snapshot,
  type SnapshotKind,
  type StagedAppend,
  type StoredEvent,
} from './lib/event-store.port';
export { InMemoryEventStore } from './lib/in-memory-event-store';
export { AppendNotifier, appendChannel, type LocalAppendListener } from './lib/postgres/append-notifier';
export { migrateEventStore, type EventStoreMigrationOptions } from './lib/postgres/event-store.migrations';
export { runMigrations, type Migration } from './lib/postgres/migrations';
export { migrateProjections, ProjectionNotRebuildableError, ProjectionRunner, type Projection, type ProjectionRebuild, type ProjectionRunnerOptions, type ProjectionStatus } from './lib/postgres/projection-runner';
export { PostgresEventStore, type PostgresEventStoreOptions } from './lib/postgres/postgres-event-store';
export { GENERIC_PLAN_OPTIONS, preparedName, preparedStatement, type PreparedStatement } from './lib/postgres/prepared-name';
export { sqlIdentifier } from './lib/postgres/sql-identifier';
export { afterCommit, beforeCommit, begin, commit, inTransaction, releaseSavepoint, rollback, savepoint, type BeginOptions } from './lib/postgres/transaction';
export { isDatabaseUnavailable } from './lib/postgres/database-errors';
export { NestedConnectionError, refuseNestedConnections, whileHolding } from './lib/postgres/connection-guard';
export { asyncContextKey, runWithValue, valueOf } from './lib/async-context';
export { WakeSignal } from './lib/postgres/wake-signal';
