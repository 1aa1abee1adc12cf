import { randomUUID } from 'node:crypto';
import type { Aggregate, DomainEvent } from '../lib/aggregate';
import { AggregateRepository } from '../lib/aggregate-repository';
import { catalogSchemas } from '../lib/catalog-schemas';
import type { EventSchemas } from '../lib/event-store.port';
import { InMemoryEventStore } from '../lib/in-memory-event-store';

type AnyAggregate = Aggregate<unknown, unknown, DomainEvent>;
type CommandOf<A> = A extends Aggregate<unknown, infer C, DomainEvent> ? C : never;

const context = { correlationId: 'test-correlation', causationId: 'test-command', source: 'test' };

/**
 * Given events / when command / then events (or a rejection), run through the real repository
 * on the in-memory store: the given events are stored, the aggregate loaded from them, the
 * command executed and saved, and the newly stored events compared.
 *
 *   await scenario((id) => new Order(id)).given(placed).when(ship).then([{ type: 'OrderShipped', data }]);
 */
export function scenario<A extends AnyAggregate>(create: (id: string) => A, schemas: EventSchemas = catalogSchemas) {
  const id = randomUUID();
  return {
    id,
    given(...history: DomainEvent[]) {
      return {
        when(command: CommandOf<A>) {
          const run = async () => {
            const store = new InMemoryEventStore(schemas);
            const repository = new AggregateRepository(store, create, { schemas, snapshotInterval: 1_000_000 });
            if (history.length > 0) {
              const aggregate = create(id);
              await store.append({
                aggregateId: id,
                aggregateType: aggregate.aggregateType,
                expectedVersion: 0,
                events: history.map((e) => ({ eventId: randomUUID(), eventType: e.type, schemaVersion: schemas.currentVersion(e.type), data: e.data as Record<string, unknown>, metadata: context })),
              });
            }
            const aggregate = await repository.load(id);
            aggregate.execute(command);
            await repository.save(aggregate, context);
            return (await store.readStream(id, history.length)).map((e) => ({ type: e.eventType, data: e.data }));
          };
          return {
            async then(expected: DomainEvent[]): Promise<void> {
              expect(await run()).toEqual(expected.map((e) => ({ type: e.type, data: e.data })));
            },
            async thenRejects(expected: { code?: string; message?: RegExp; type?: new (...args: never[]) => Error }): Promise<void> {
              const outcome = run();
              if (expected.type) await expect(outcome).rejects.toBeInstanceOf(expected.type);
              if (expected.code) await expect(outcome).rejects.toMatchObject({ code: expected.code });
              if (expected.message) await expect(outcome).rejects.toThrow(expected.message);
              await outcome.catch(() => undefined);
            },
          };
        },
      };
    },
  };
}
