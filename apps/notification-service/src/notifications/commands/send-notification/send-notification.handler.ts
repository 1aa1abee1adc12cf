import { savepoint } from '@causeway/eventsourcing';
import { AuditTrail, reactionCausation, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { PoolClient } from 'pg';
import { NOTIFICATION_CHANNEL, type NotificationChannel, type OutgoingNotification } from '../../channels/notification-channel.port';
import type { DeliveryOutcome } from '../../domain/notification.aggregate';
import { NOTIFICATION_REPOSITORY, type NotificationRepository } from '../../domain/notification.repository';
import { renderTemplate } from '../../templates/notification-templates';
import { SendNotification, type SendNotificationResult } from './send-notification.command';

/**
 * Load → ask the channel → record its answer. The notification id derives from the cause event,
 * so a redelivered cause finds the notification already recorded and asks the channel nothing.
 */
@CommandHandler(SendNotification)
export class SendNotificationHandler implements ICommandHandler<SendNotification> {
  private readonly logger = new Logger('SendNotification');

  constructor(
    @Inject(NOTIFICATION_REPOSITORY) private readonly notifications: NotificationRepository,
    @Inject(NOTIFICATION_CHANNEL) private readonly channel: NotificationChannel,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    private readonly audit: AuditTrail,
  ) {}

  async execute(command: SendNotification): Promise<SendNotificationResult> {
    const notification = await this.notifications.load(command.notificationId, command.transaction);
    if (!notification.mayBeSent) return { id: notification.id, version: notification.version, outcome: 'already_recorded' };

    const { subject, body } = renderTemplate(command.message);
    const outcome = await this.deliver({ notificationId: notification.id, userId: command.userId, template: command.message.template, subject, body }, command.transaction);
    notification.execute({ type: 'SendNotification', userId: command.userId, channel: this.channel.name, template: command.message.template, causeEventId: command.cause.eventId, outcome });
    await this.audit.recordReaction('SendNotification', notification.id, command.cause, command.transaction);
    const { version } = await this.notifications.save(notification, reactionCausation(this.service.name, command.cause), command.transaction);
    return { id: notification.id, version, outcome: outcome.delivered ? 'sent' : 'failed' };
  }

  /**
   * A channel failure is a fact to record, not an exception that would retry and dead-letter the
   * cause event. The savepoint keeps a failed channel write from aborting the consumer's
   * transaction, which still has to record NotificationFailed and the inbox row. The savepoint
   * rides with the channel's first statement; after a delivery it is left to the commit, which
   * releases it anyway.
   */
  private async deliver(notification: OutgoingNotification, tx: PoolClient): Promise<DeliveryOutcome> {
    await savepoint(tx, 'deliver_notification');
    try {
      await this.channel.deliver(notification, tx);
      return { delivered: true };
    } catch (error) {
      await tx.query('ROLLBACK TO SAVEPOINT deliver_notification');
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(`channel ${this.channel.name} failed to deliver notification ${notification.notificationId}: ${message}`);
      return { delivered: false, error: message };
    }
  }
}
