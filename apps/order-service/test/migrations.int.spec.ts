import { AggregateRepository, catalogSchemas, migrateEventStore, PostgresEventStore, runMigrations } from '@causeway/eventsourcing';
import { migrateMessaging } from '@causeway/messaging';
import { createTestDatabase, type TestDatabase } from '@causeway/testing';
import { randomUUID } from 'node:crypto';
import { Order, type OrderCommand } from '../src/orders/domain/order.aggregate';
import { orderService } from '../src/order-service.definition';

/** Migration 2 on a schema that already has orders: every order still waiting for its payment gets its deadline. */
describe('order-service migrations (real PostgreSQL)', () => {
  let db: TestDatabase;
  let orders: AggregateRepository<Order>;
  const migrations = orderService.migrations ?? [];

  beforeAll(async () => {
    db = await createTestDatabase('order_migrations', 4);
    await migrateEventStore(db.pool, { schema: db.schema, partitions: 2 });
    await migrateMessaging(db.pool, db.schema);
    const store = new PostgresEventStore(db.pool, { schema: db.schema, schemas: catalogSchemas });
    orders = new AggregateRepository(store, (id) => new Order(id), { schemas: catalogSchemas, snapshotInterval: 1_000 });
  });

  afterAll(() => db?.dispose());

  async function orderIn(deadline: string, ...commands: Array<Exclude<OrderCommand, { type: 'PlaceOrder' }>>): Promise<string> {
    const order = new Order(randomUUID());
    order.execute({ type: 'PlaceOrder', userId: randomUUID(), items: [{ sku: 'A', quantity: 1, unitPriceCents: 100 }], currency: 'EUR', paymentMethod: 'tok_visa', paymentDeadline: deadline });
    for (const command of commands) order.execute(command);
    await orders.save(order, { correlationId: randomUUID(), causationId: randomUUID(), source: 'order-service' });
    return order.id;
  }

  it('backfills payment_deadlines for the orders placed before it that are neither confirmed nor cancelled', async () => {
    expect(migrations.map((m) => m.id)).toEqual([1, 2]);
    await runMigrations(db.pool, db.schema, orderService.name, migrations.slice(0, 1));
    const deadline = '2026-11-28T12:00:30.000Z';
    const pending = await orderIn(deadline);
    await orderIn(deadline, { type: 'ConfirmOrder', paymentId: randomUUID() });
    await orderIn(deadline, { type: 'CancelOrder', reason: 'customer_request' });

    await runMigrations(db.pool, db.schema, orderService.name, migrations);
    const { rows } = await db.pool.query(`SELECT order_id, due_at, not_before, status, attempts FROM ${db.schema}.payment_deadlines`);
    expect(rows).toEqual([{ order_id: pending, due_at: new Date(deadline), not_before: new Date(deadline), status: 'pending', attempts: 0 }]);
  });
});
