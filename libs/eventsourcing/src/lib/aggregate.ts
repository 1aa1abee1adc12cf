/** What an aggregate decides: a past-tense fact with its payload. */
export interface DomainEvent<TType extends string = string, TData extends object = Record<string, unknown>> {
  readonly type: TType;
  readonly data: TData;
}

/**
 * The seed's Aggregate: `handle(command) → events` decides, `apply(event)` evolves state.
 * Both are pure (no I/O); subclasses implement them with an exhaustive switch. This base adds
 * what every aggregate needs around them: the version it was loaded at, the events decided
 * but not yet stored, and snapshots.
 */
export abstract class Aggregate<TState, TCommand, TEvent extends DomainEvent> {
  abstract readonly aggregateType: string;
  /** Bump when the state's shape changes: older snapshots are then ignored and the stream replayed. */
  readonly snapshotSchemaVersion: number = 1;

  protected state: TState;
  private currentVersion = 0;
  private pending: TEvent[] = [];

  constructor(readonly id: string) {
    this.state = this.initialState();
  }

  protected abstract initialState(): TState;
  /** Decide: validate the command against the state, return the events it causes, or throw DomainRuleViolation. */
  protected abstract handle(command: TCommand): TEvent[];
  /** Evolve: the state after the event. Never throws: the event already happened. */
  protected abstract apply(state: TState, event: TEvent): TState;

  /** Version including decided-but-unsaved events. */
  get version(): number {
    return this.currentVersion;
  }

  /** The version the store holds: what an append must expect. */
  get persistedVersion(): number {
    return this.currentVersion - this.pending.length;
  }

  get uncommittedEvents(): readonly TEvent[] {
    return this.pending;
  }

  get snapshotState(): TState {
    return this.state;
  }

  execute(command: TCommand): TEvent[] {
    const events = this.handle(command);
    for (const event of events) {
      this.state = this.apply(this.state, event);
      this.currentVersion++;
      this.pending.push(event);
    }
    return events;
  }

  /** Replays stored history (after a snapshot, if any). */
  replay(events: Iterable<{ type: string; data: object; version: number }>): void {
    for (const event of events) {
      if (event.version !== this.currentVersion + 1) {
        throw new Error(`${this.aggregateType} ${this.id}: expected event version ${this.currentVersion + 1}, got ${event.version}`);
      }
      this.state = this.apply(this.state, { type: event.type, data: event.data } as TEvent);
      this.currentVersion = event.version;
    }
  }

  restoreSnapshot(state: TState, version: number): void {
    this.state = state;
    this.currentVersion = version;
  }

  markCommitted(): void {
    this.pending = [];
  }

  /** True once any event exists (stored or pending). */
  get exists(): boolean {
    return this.currentVersion > 0;
  }
}

/** Compile-time exhaustiveness check for `switch` over commands and events. */
export function assertNever(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
