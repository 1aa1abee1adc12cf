import { AggregateRepository, catalogSchemas, InMemoryEventStore } from '@causeway/eventsourcing';
import type { ServiceDefinition } from '@causeway/service-runtime';
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { Reaction } from '../src/orders/commands/reaction';
import type { PaymentDeadlines } from '../src/orders/deadlines/payment-deadlines';
import { Order, type OrderCommand } from '../src/orders/domain/order.aggregate';

/** What the unit tests of order-service's reactions stand on, fresh for each test. */
export interface OrderReactionsKit {
  service: ServiceDefinition;
  userId: string;
  store: InMemoryEventStore;
  orders: AggregateRepository<Order>;
  /** Which deadlines were settled, in which transaction. */
  settled: Array<[PoolClient, string]>;
  deadlines: PaymentDeadlines;
  /** A cause event to react to, in a transaction of its own. */
  cause(): Reaction;
  /** A new order (10.00 EUR, placed by `userId`) taken through `commands`; its id. */
  orderIn(...commands: Array<Exclude<OrderCommand, { type: 'PlaceOrder' }>>): Promise<string>;
}

/** Call inside a describe: the kit's store, repository and deadlines are new before each test. */
export function orderReactionsKit(): OrderReactionsKit {
  const kit = { service: { name: 'order-service' } as ServiceDefinition, userId: randomUUID() } as OrderReactionsKit;
  beforeEach(() => {
    kit.settled = [];
    kit.deadlines = { settle: async (tx: PoolClient, orderId: string) => void kit.settled.push([tx, orderId]) } as unknown as PaymentDeadlines;
    kit.store = new InMemoryEventStore(catalogSchemas);
    kit.orders = new AggregateRepository(kit.store, (id) => new Order(id), { schemas: catalogSchemas, snapshotInterval: 1_000 });
  });
  kit.cause = () => ({
    // The in-memory store has no transactions: it ignores the client.
    transaction: {} as PoolClient,
    cause: { eventId: randomUUID(), metadata: { correlationId: randomUUID() } },
  });
  kit.orderIn = async (...commands) => {
    const order = new Order(randomUUID());
    order.execute({ type: 'PlaceOrder', userId: kit.userId, items: [{ sku: 'A', quantity: 2, unitPriceCents: 500 }], currency: 'EUR', paymentMethod: 'tok_visa', paymentDeadline: new Date().toISOString() });
    for (const command of commands) order.execute(command);
    await kit.orders.save(order, { correlationId: 'c', causationId: 'c', source: 'test' });
    return order.id;
  };
  return kit;
}
