import { AuditTrail, commandCausation, inTransaction, PG_POOL, reactionCausation, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { PaymentDeadlines } from '../../deadlines/payment-deadlines';
import { automaticCancellations } from '../../domain/order.aggregate';
import { ORDER_REPOSITORY, type OrderRepository } from '../../domain/order.repository';
import { orderResult, type OrderCommandResult } from '../command-result';
import type { Reaction } from '../reaction';
import { CancelOrder } from './cancel-order.command';

@CommandHandler(CancelOrder)
export class CancelOrderHandler implements ICommandHandler<CancelOrder> {
  constructor(
    @Inject(ORDER_REPOSITORY) private readonly orders: OrderRepository,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    private readonly audit: AuditTrail,
    private readonly deadlines: PaymentDeadlines,
  ) {}

  async execute(command: CancelOrder): Promise<OrderCommandResult | undefined> {
    if (command.reaction) return this.react(command, command.reaction);
    const commandId = randomUUID();
    return this.audit.run('CancelOrder', command.orderId, commandId, async (recordAccepted) => {
      const order = await this.orders.loadExisting(command.orderId, command.expectedVersion);
      order.execute({ type: 'CancelOrder', reason: command.reason });
      const { version } = await inTransaction(this.pool, async (tx) => {
        // Before the append (see PaymentDeadlines): a watcher expiring this order meanwhile makes the append a 409, never a deadlock.
        await this.deadlines.settle(tx, order.id);
        await recordAccepted(tx);
        return this.orders.save(order, commandCausation(this.service.name, commandId), tx);
      });
      return orderResult(order, version);
    });
  }

  /** In the consumer's transaction: a concurrent write makes the append fail, and the consumer retries. */
  private async react(command: CancelOrder, reaction: Reaction): Promise<OrderCommandResult | undefined> {
    if (command.reason === 'customer_request') throw new Error('customer_request is not a reaction: cancel through the API');
    // First (see PaymentDeadlines): waits for a watcher expiring this order right now, so the load
    // below sees its cancellation. Harmless in any status: only a PENDING order has a pending deadline.
    await this.deadlines.settle(reaction.transaction, command.orderId);
    const order = await this.orders.load(command.orderId, reaction.transaction);
    const { status } = order.current;
    if (status === 'none' || !automaticCancellations[command.reason].includes(status)) return undefined;
    order.execute({ type: 'CancelOrder', reason: command.reason });
    await this.audit.recordReaction('CancelOrder', order.id, reaction.cause, reaction.transaction);
    const { version } = await this.orders.save(order, reactionCausation(this.service.name, reaction.cause), reaction.transaction);
    return orderResult(order, version);
  }
}
