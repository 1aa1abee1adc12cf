import { SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { NotificationChannel, OutgoingNotification } from './notification-channel.port';

/** Delivers by recording: one `deliveries` row per notification, in the caller's transaction. */
@Injectable()
export class RecordingChannel implements NotificationChannel {
  readonly name = 'recording';

  constructor(@Inject(SERVICE) private readonly service: ServiceDefinition) {}

  async deliver(notification: OutgoingNotification, transaction: PoolClient): Promise<void> {
    await transaction.query(
      `INSERT INTO ${this.service.schema}.deliveries (id, notification_id, user_id, channel, template, subject, body, delivered_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now())`,
      [randomUUID(), notification.notificationId, notification.userId, this.name, notification.template, notification.subject, notification.body],
    );
  }
}
