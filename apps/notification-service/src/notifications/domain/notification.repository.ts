import type { AggregateRepository } from '@causeway/eventsourcing';
import type { Notification } from './notification.aggregate';

export const NOTIFICATION_REPOSITORY = Symbol('NOTIFICATION_REPOSITORY');
export type NotificationRepository = AggregateRepository<Notification>;
