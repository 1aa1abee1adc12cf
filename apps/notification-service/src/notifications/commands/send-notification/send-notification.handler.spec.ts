import { AggregateRepository, catalogSchemas, InMemoryEventStore, START } from '@causeway/eventsourcing';
import { AuditTrail, type ServiceDefinition } from '@causeway/service-runtime';
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { NotificationChannel, OutgoingNotification } from '../../channels/notification-channel.port';
import { notificationIdFor } from '../../domain/notification-id';
import { Notification } from '../../domain/notification.aggregate';
import { SendNotification } from './send-notification.command';
import { SendNotificationHandler } from './send-notification.handler';

/** A stand-in for the consumer's transaction: records the statements the handler runs in it. */
function fakeTransaction() {
  const statements: string[] = [];
  return { statements, tx: { query: async (sql: string | { text: string }) => void statements.push(typeof sql === 'string' ? sql : sql.text) } as unknown as PoolClient };
}

function setup(deliver: (n: OutgoingNotification) => Promise<void>) {
  const store = new InMemoryEventStore(catalogSchemas);
  const repository = new AggregateRepository(store, (id) => new Notification(id), { schemas: catalogSchemas, snapshotInterval: 100 });
  const delivered: OutgoingNotification[] = [];
  const channel: NotificationChannel = { name: 'recording', deliver: async (n) => { await deliver(n); delivered.push(n); } };
  const service = { name: 'notification-service', schema: 'unused' } as ServiceDefinition;
  return { store, delivered, handler: new SendNotificationHandler(repository, channel, service, new AuditTrail(store, service.name)) };
}

const userId = randomUUID();
const cause = { eventId: randomUUID(), metadata: { correlationId: 'corr-1', causationId: randomUUID(), source: 'user-service' } };
const welcome = { template: 'welcome' as const, data: { userId, email: 'ada@example.com', givenName: 'Ada', familyName: 'Lovelace' } };

describe('SendNotificationHandler', () => {
  it('renders, delivers through the channel inside a savepoint, records NotificationSent caused by the cause event', async () => {
    const { store, delivered, handler } = setup(async () => undefined);
    const { tx, statements } = fakeTransaction();
    const id = notificationIdFor(cause.eventId);
    expect(await handler.execute(new SendNotification(id, userId, welcome, cause, tx))).toEqual({ id, version: 1, outcome: 'sent' });
    expect(delivered).toEqual([{ notificationId: id, userId, template: 'welcome', subject: 'Welcome to Causeway, Ada', body: expect.stringContaining('ada@example.com') }]);
    // The savepoint is left to the commit: nothing to release after a delivery.
    expect(statements).toEqual(['SAVEPOINT deliver_notification']);
    const [event] = await store.readStream(id);
    expect(event).toMatchObject({
      eventType: 'NotificationSent',
      data: { notificationId: id, userId, channel: 'recording', template: 'welcome', causeEventId: cause.eventId },
      metadata: { correlationId: 'corr-1', causationId: cause.eventId, source: 'notification-service' },
    });
    const audited = (await store.readAll(START, 100)).events.filter((e) => e.eventType === 'CommandAudited');
    expect(audited).toMatchObject([{ data: { actor: 'notification-service', command: 'SendNotification', outcome: 'accepted', targetId: id }, metadata: { correlationId: 'corr-1' } }]);
  });

  it('a second send for the same cause asks the channel nothing and records nothing', async () => {
    const { store, delivered, handler } = setup(async () => undefined);
    const id = notificationIdFor(cause.eventId);
    await handler.execute(new SendNotification(id, userId, welcome, cause, fakeTransaction().tx));
    expect(await handler.execute(new SendNotification(id, userId, welcome, cause, fakeTransaction().tx))).toEqual({ id, version: 1, outcome: 'already_recorded' });
    expect(delivered).toHaveLength(1);
    expect(await store.readStream(id)).toHaveLength(1);
  });

  it('a channel that throws → NotificationFailed with its message, the savepoint rolled back, no exception', async () => {
    const { store, handler } = setup(async () => {
      throw new Error('smtp: connection refused');
    });
    const { tx, statements } = fakeTransaction();
    const id = randomUUID();
    expect(await handler.execute(new SendNotification(id, userId, welcome, cause, tx))).toEqual({ id, version: 1, outcome: 'failed' });
    expect(statements).toEqual(['SAVEPOINT deliver_notification', 'ROLLBACK TO SAVEPOINT deliver_notification']);
    expect((await store.readStream(id)).map((e) => [e.eventType, e.data['error']])).toEqual([['NotificationFailed', 'smtp: connection refused']]);
  });
});
