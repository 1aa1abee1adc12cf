import type { CatalogEvent } from '@causeway/contracts';
import { KafkaEventContext } from '@causeway/messaging';
import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { CancelOrder } from '../commands/cancel-order/cancel-order.command';
import { ConfirmOrder } from '../commands/confirm-order/confirm-order.command';
import { SagaLog } from '../saga/saga-log';

/**
 * payment-service's outcomes → this service's commands (ARCHITECTURE §5.3), in the inbox
 * transaction; each is noted as a step of the order's saga (also when the order ignores it).
 */
@Controller()
export class PaymentEventsConsumer {
  constructor(
    private readonly commands: CommandBus,
    private readonly saga: SagaLog,
  ) {}

  @EventPattern('PaymentProcessed')
  async notePaymentProcessed(@Payload() event: CatalogEvent<'PaymentProcessed'>, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.saga.note(ctx.transaction, event.data.orderId, event);
    await this.commands.execute(new ConfirmOrder(event.data.orderId, event.data.paymentId, { transaction: ctx.transaction, cause: event }));
  }

  /** Compensation (ARCHITECTURE §5.3): a declined payment cancels the order while it still waits for one. */
  @EventPattern('PaymentFailed')
  async notePaymentFailed(@Payload() event: CatalogEvent<'PaymentFailed'>, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.saga.note(ctx.transaction, event.data.orderId, event);
    await this.commands.execute(new CancelOrder(event.data.orderId, 'payment_failed', undefined, { transaction: ctx.transaction, cause: event }));
  }
}
