import type { CatalogEvent } from '@causeway/contracts';
import { KafkaEventContext } from '@causeway/messaging';
import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { InitiatePayment } from '../commands/initiate-payment/initiate-payment.command';
import { RefundCancelledOrderPayment } from '../commands/refund-cancelled-order-payment/refund-cancelled-order-payment.command';

/** order-service's events, as the payment side of the saga sees them (ARCHITECTURE §5 steps 2, 5, 6). */
@Controller()
export class OrderEventsConsumer {
  constructor(private readonly commands: CommandBus) {}

  /** Quick on purpose: records PaymentInitiated and queues the charge; the PaymentProcessor calls the provider. */
  @EventPattern('OrderPlaced')
  async noteOrderPlaced(@Payload() event: CatalogEvent<'OrderPlaced'>, @Ctx() ctx: KafkaEventContext): Promise<void> {
    const { orderId, userId, totalCents, currency, paymentMethod } = event.data;
    await this.commands.execute(new InitiatePayment(orderId, userId, totalCents, currency, paymentMethod, event, ctx.transaction));
  }

  @EventPattern('OrderCancelled')
  async noteOrderCancelled(@Payload() event: CatalogEvent<'OrderCancelled'>, @Ctx() ctx: KafkaEventContext): Promise<void> {
    const { orderId, reason, refundDue } = event.data;
    await this.commands.execute(new RefundCancelledOrderPayment(orderId, reason, refundDue, event, ctx.transaction));
  }
}
