/**
 * Another writer appended to the aggregate first (or the expected version is wrong).
 * The database detects it: (aggregate_id, version) is the primary key. The gateway maps it to 409.
 */
export class ConcurrencyConflictError extends Error {
  constructor(
    readonly aggregateId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(`Concurrency conflict on ${aggregateId}: expected version ${expectedVersion}, but it is at ${actualVersion}`);
    this.name = 'ConcurrencyConflictError';
  }
}

/** A command that breaks a business rule (an illegal transition, a refused order). Mapped to 422. */
export class DomainRuleViolation extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DomainRuleViolation';
  }
}

export class AggregateNotFoundError extends Error {
  constructor(
    readonly aggregateType: string,
    readonly aggregateId: string,
  ) {
    super(`${aggregateType} ${aggregateId} not found`);
    this.name = 'AggregateNotFoundError';
  }
}
