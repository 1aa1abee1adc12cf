import { AuditTrail, reactionCausation, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { PaymentDeadlines } from '../../deadlines/payment-deadlines';
import { ORDER_REPOSITORY, type OrderRepository } from '../../domain/order.repository';
import { orderResult, type OrderCommandResult } from '../command-result';
import { ConfirmOrder } from './confirm-order.command';

@CommandHandler(ConfirmOrder)
export class ConfirmOrderHandler implements ICommandHandler<ConfirmOrder> {
  private readonly logger = new Logger('ConfirmOrder');

  constructor(
    @Inject(ORDER_REPOSITORY) private readonly orders: OrderRepository,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    private readonly audit: AuditTrail,
    private readonly deadlines: PaymentDeadlines,
  ) {}

  /**
   * Confirms a PENDING order; in any other state the payment outcome is noted and ignored (a
   * repeat, or a payment that succeeded after the order was cancelled: payment-service refunds
   * that one on OrderCancelled, ARCHITECTURE §5.6).
   */
  async execute({ orderId, paymentId, reaction }: ConfirmOrder): Promise<OrderCommandResult | undefined> {
    // First (see PaymentDeadlines): waits for a watcher expiring this order right now, so the load
    // below sees its cancellation. A payment outcome ends the wait for one either way.
    await this.deadlines.settle(reaction.transaction, orderId);
    const order = await this.orders.load(orderId, reaction.transaction);
    if (order.current.status !== 'PENDING') {
      this.logger.log(`payment ${paymentId} for order ${orderId} ignored: the order is ${order.current.status}`);
      return undefined;
    }
    order.execute({ type: 'ConfirmOrder', paymentId });
    // Staged, it is written with the append below (one statement for both).
    await this.audit.recordReaction('ConfirmOrder', orderId, reaction.cause, reaction.transaction);
    // In the consumer's transaction: a concurrent write makes the append fail, and the consumer retries.
    const { version } = await this.orders.save(order, reactionCausation(this.service.name, reaction.cause), reaction.transaction);
    return orderResult(order, version);
  }
}
