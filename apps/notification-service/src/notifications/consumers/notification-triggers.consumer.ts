import type { CatalogEvent, EventType } from '@causeway/contracts';
import { KafkaEventContext } from '@causeway/messaging';
import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { SendNotification, type SendNotificationResult } from '../commands/send-notification/send-notification.command';
import { notificationIdFor } from '../domain/notification-id';
import type { TemplateMessage } from '../templates/notification-templates';

/**
 * ARCHITECTURE §5 step 7: the events that tell a user something, each → one notification.
 * Each method maps its event to SendNotification in the consumer's transaction; the
 * notification id is derived from the cause's eventId, so a redelivery sends nothing new.
 */
@Controller()
export class NotificationTriggersConsumer {
  constructor(private readonly commands: CommandBus) {}

  @EventPattern('UserCreated')
  noteUserCreated(@Payload() event: CatalogEvent<'UserCreated'>, @Ctx() ctx: KafkaEventContext): Promise<SendNotificationResult> {
    return this.notify(event, { template: 'welcome', data: event.data }, ctx);
  }

  @EventPattern('OrderConfirmed')
  noteOrderConfirmed(@Payload() event: CatalogEvent<'OrderConfirmed'>, @Ctx() ctx: KafkaEventContext): Promise<SendNotificationResult> {
    return this.notify(event, { template: 'order_confirmed', data: event.data }, ctx);
  }

  @EventPattern('OrderCancelled')
  noteOrderCancelled(@Payload() event: CatalogEvent<'OrderCancelled'>, @Ctx() ctx: KafkaEventContext): Promise<SendNotificationResult> {
    return this.notify(event, { template: 'order_cancelled', data: event.data }, ctx);
  }

  @EventPattern('OrderShipped')
  noteOrderShipped(@Payload() event: CatalogEvent<'OrderShipped'>, @Ctx() ctx: KafkaEventContext): Promise<SendNotificationResult> {
    return this.notify(event, { template: 'order_shipped', data: event.data }, ctx);
  }

  @EventPattern('OrderDelivered')
  noteOrderDelivered(@Payload() event: CatalogEvent<'OrderDelivered'>, @Ctx() ctx: KafkaEventContext): Promise<SendNotificationResult> {
    return this.notify(event, { template: 'order_delivered', data: event.data }, ctx);
  }

  @EventPattern('PaymentFailed')
  notePaymentFailed(@Payload() event: CatalogEvent<'PaymentFailed'>, @Ctx() ctx: KafkaEventContext): Promise<SendNotificationResult> {
    return this.notify(event, { template: 'payment_failed', data: event.data }, ctx);
  }

  @EventPattern('PaymentRefunded')
  notePaymentRefunded(@Payload() event: CatalogEvent<'PaymentRefunded'>, @Ctx() ctx: KafkaEventContext): Promise<SendNotificationResult> {
    return this.notify(event, { template: 'payment_refunded', data: event.data }, ctx);
  }

  private notify(event: CatalogEvent<EventType>, message: TemplateMessage, ctx: KafkaEventContext): Promise<SendNotificationResult> {
    return this.commands.execute(new SendNotification(notificationIdFor(event.eventId), message.data.userId, message, event, ctx.transaction));
  }
}

/** The event types this service reacts to (its topics follow from them). */
export const NOTIFICATION_TRIGGERS = ['UserCreated', 'OrderConfirmed', 'OrderCancelled', 'OrderShipped', 'OrderDelivered', 'PaymentFailed', 'PaymentRefunded'] as const satisfies readonly EventType[];
