import type { z } from 'zod';
import type { Topic } from './topics';

/** Turns data stored at schema version N into version N + 1. */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

export interface EventDefinition<TType extends string = string, TSchema extends z.ZodType = z.ZodType> {
  readonly type: TType;
  readonly aggregateType: string;
  readonly topic: Topic;
  /** The version writers produce today; older stored versions are upcast on read, never rewritten. */
  readonly schemaVersion: number;
  readonly schema: TSchema;
  /** `upcasters[n]` lifts version n to n + 1; there is one for every n below schemaVersion. */
  readonly upcasters: Readonly<Record<number, Upcaster>>;
}

export function defineEvent<TType extends string, TSchema extends z.ZodType>(
  definition: Omit<EventDefinition<TType, TSchema>, 'upcasters'> & { upcasters?: Record<number, Upcaster> },
): EventDefinition<TType, TSchema> {
  const upcasters = definition.upcasters ?? {};
  for (let v = 1; v < definition.schemaVersion; v++) {
    if (!upcasters[v]) throw new Error(`${definition.type}: schema version ${definition.schemaVersion} needs an upcaster from v${v}`);
  }
  return Object.freeze({ ...definition, upcasters: Object.freeze(upcasters) });
}

export type PayloadOf<D> = D extends EventDefinition<string, infer S> ? z.output<S> : never;
