import type { EventEnvelope } from '@causeway/contracts';
import { Command } from '@nestjs/cqrs';
import type { PoolClient } from 'pg';
import type { TemplateMessage } from '../../templates/notification-templates';

export interface SendNotificationResult {
  id: string;
  version: number;
  /** `already_recorded`: this cause was notified before (a redelivery); nothing was sent. */
  outcome: 'sent' | 'failed' | 'already_recorded';
}

export class SendNotification extends Command<SendNotificationResult> {
  constructor(
    readonly notificationId: string,
    readonly userId: string,
    readonly message: TemplateMessage,
    /** The event this notification is about: its id and correlation become the notification's causation. */
    readonly cause: Pick<EventEnvelope, 'eventId' | 'metadata'>,
    /** The consumer's transaction (inbox row): the delivery and the events commit with it. */
    readonly transaction: PoolClient,
  ) {
    super();
  }
}
