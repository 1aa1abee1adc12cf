import { parseEventEnvelope, type CatalogEvent } from '@causeway/contracts';
import type { KafkaEventContext } from '@causeway/messaging';
import type { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { SendNotification } from '../commands/send-notification/send-notification.command';
import { notificationIdFor } from '../domain/notification-id';
import { NOTIFICATION_TRIGGERS, NotificationTriggersConsumer } from './notification-triggers.consumer';

const userId = randomUUID();
const orderId = randomUUID();
const paymentId = randomUUID();

/** One valid payload per trigger, checked against the contracts by parseEventEnvelope. */
const payloads = {
  UserCreated: { aggregateType: 'User', schemaVersion: 2, data: { userId, email: 'ada@example.com', givenName: 'Ada', familyName: 'Lovelace' } },
  OrderConfirmed: { aggregateType: 'Order', schemaVersion: 1, data: { orderId, userId, paymentId, totalCents: 4_200, currency: 'EUR' } },
  OrderCancelled: { aggregateType: 'Order', schemaVersion: 1, data: { orderId, userId, reason: 'payment_timeout', refundDue: false } },
  OrderShipped: { aggregateType: 'Order', schemaVersion: 1, data: { orderId, userId } },
  OrderDelivered: { aggregateType: 'Order', schemaVersion: 1, data: { orderId, userId } },
  PaymentFailed: { aggregateType: 'Payment', schemaVersion: 1, data: { paymentId, orderId, userId, reason: 'card declined' } },
  PaymentRefunded: { aggregateType: 'Payment', schemaVersion: 1, data: { paymentId, orderId, userId, amountCents: 4_200, currency: 'EUR', reason: 'order_cancelled' } },
} as const;

const methods = {
  UserCreated: ['noteUserCreated', 'welcome'],
  OrderConfirmed: ['noteOrderConfirmed', 'order_confirmed'],
  OrderCancelled: ['noteOrderCancelled', 'order_cancelled'],
  OrderShipped: ['noteOrderShipped', 'order_shipped'],
  OrderDelivered: ['noteOrderDelivered', 'order_delivered'],
  PaymentFailed: ['notePaymentFailed', 'payment_failed'],
  PaymentRefunded: ['notePaymentRefunded', 'payment_refunded'],
} as const;

describe('NotificationTriggersConsumer (against the contracts)', () => {
  it('reacts to exactly the events of ARCHITECTURE §5 step 7', () => {
    expect([...NOTIFICATION_TRIGGERS].sort()).toEqual(Object.keys(payloads).sort());
  });

  it.each(NOTIFICATION_TRIGGERS)('%s → SendNotification for its user, id derived from the eventId, in the consumer transaction', async (type) => {
    const event = parseEventEnvelope({
      eventId: randomUUID(), eventType: type, aggregateId: randomUUID(), version: 1, timestamp: new Date().toISOString(),
      metadata: { correlationId: randomUUID(), causationId: randomUUID(), source: 'test' },
      ...payloads[type],
    }) as CatalogEvent<typeof type>;
    const sent: SendNotification[] = [];
    const bus = { execute: async (command: SendNotification) => void sent.push(command) } as unknown as CommandBus;
    const transaction = {} as PoolClient;
    const consumer = new NotificationTriggersConsumer(bus) as unknown as Record<string, (e: CatalogEvent, c: KafkaEventContext) => Promise<unknown>>;
    const [method, template] = methods[type];
    await consumer[method](event, { transaction } as KafkaEventContext);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(SendNotification);
    expect(sent[0]).toMatchObject({ notificationId: notificationIdFor(event.eventId), userId, message: { template, data: event.data }, cause: event });
    expect(sent[0].transaction).toBe(transaction);
  });
});
