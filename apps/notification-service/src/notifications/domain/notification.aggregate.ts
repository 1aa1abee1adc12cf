import type { EventPayload } from '@causeway/contracts';
import { Aggregate, assertNever, DomainRuleViolation, type DomainEvent } from '@causeway/eventsourcing';

export type NotificationStatus = 'sent' | 'failed';

export interface NotificationState {
  status: NotificationStatus | 'none';
  userId: string;
  channel: string;
  template: string;
  causeEventId: string;
  error?: string;
}

/** What the channel answered when asked to deliver. */
export type DeliveryOutcome = { delivered: true } | { delivered: false; error: string };

export type NotificationCommand = {
  type: 'SendNotification';
  userId: string;
  channel: string;
  template: string;
  causeEventId: string;
  /** The channel is asked by the handler (I/O); the aggregate records its answer as a fact. */
  outcome: DeliveryOutcome;
};

export type NotificationEvent =
  | DomainEvent<'NotificationSent', EventPayload<'NotificationSent'>>
  | DomainEvent<'NotificationFailed', EventPayload<'NotificationFailed'>>;

/** Longest error text kept in an event: a channel's stack trace is not a fact about the notification. */
export const MAX_ERROR_LENGTH = 500;

/**
 * One notification to one user about one cause event. It is sent at most once: whatever the
 * channel answered (sent or failed) is final, and a second send is refused.
 */
export class Notification extends Aggregate<NotificationState, NotificationCommand, NotificationEvent> {
  readonly aggregateType = 'Notification';

  protected initialState(): NotificationState {
    return { status: 'none', userId: '', channel: '', template: '', causeEventId: '' };
  }

  get current(): Readonly<NotificationState> {
    return this.state;
  }

  /** False once the notification was sent or failed: the handler asks before it asks the channel. */
  get mayBeSent(): boolean {
    return this.state.status === 'none';
  }

  protected handle(command: NotificationCommand): NotificationEvent[] {
    switch (command.type) {
      case 'SendNotification': {
        if (this.state.status !== 'none') {
          throw new DomainRuleViolation(`notification_already_${this.state.status}`, `notification ${this.id} was already ${this.state.status}: it is sent at most once`);
        }
        const data = { notificationId: this.id, userId: command.userId, channel: command.channel, template: command.template, causeEventId: command.causeEventId };
        if (command.outcome.delivered) return [{ type: 'NotificationSent', data }];
        const error = command.outcome.error.trim().slice(0, MAX_ERROR_LENGTH) || 'unknown channel error';
        return [{ type: 'NotificationFailed', data: { ...data, error } }];
      }
      default:
        return assertNever(command.type);
    }
  }

  protected apply(_state: NotificationState, event: NotificationEvent): NotificationState {
    switch (event.type) {
      case 'NotificationSent': {
        const { userId, channel, template, causeEventId } = event.data;
        return { status: 'sent', userId, channel, template, causeEventId };
      }
      case 'NotificationFailed': {
        const { userId, channel, template, causeEventId, error } = event.data;
        return { status: 'failed', userId, channel, template, causeEventId, error };
      }
      default:
        return assertNever(event);
    }
  }
}
