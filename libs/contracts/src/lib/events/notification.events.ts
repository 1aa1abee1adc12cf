import { z } from 'zod';
import { defineEvent } from '../event-definition';
import { Topics } from '../topics';
import { id } from './common.schema';

const aggregateType = 'Notification';
const topic = Topics.notificationEvents;

const notification = {
  notificationId: id,
  userId: id,
  channel: z.string().min(1),
  template: z.string().min(1),
  /** The eventId of the event this notification is about. */
  causeEventId: id,
};

export const NotificationSent = defineEvent({
  type: 'NotificationSent',
  aggregateType,
  topic,
  schemaVersion: 1,
  schema: z.object(notification),
});

export const NotificationFailed = defineEvent({
  type: 'NotificationFailed',
  aggregateType,
  topic,
  schemaVersion: 1,
  schema: z.object({ ...notification, error: z.string().min(1) }),
});
