import { AuditTrail, commandCausation, inTransaction, PG_POOL, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { ORDER_REPOSITORY, type OrderRepository } from '../../domain/order.repository';
import { orderResult, type OrderCommandResult } from '../command-result';
import { ShipOrder } from './ship-order.command';

@CommandHandler(ShipOrder)
export class ShipOrderHandler implements ICommandHandler<ShipOrder> {
  constructor(
    @Inject(ORDER_REPOSITORY) private readonly orders: OrderRepository,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    private readonly audit: AuditTrail,
  ) {}

  async execute(command: ShipOrder): Promise<OrderCommandResult> {
    const commandId = randomUUID();
    return this.audit.run('ShipOrder', command.orderId, commandId, async (recordAccepted) => {
      const order = await this.orders.loadExisting(command.orderId, command.expectedVersion);
      order.execute({ type: 'ShipOrder' });
      const { version } = await inTransaction(this.pool, async (tx) => {
        await recordAccepted(tx);
        return this.orders.save(order, commandCausation(this.service.name, commandId), tx);
      });
      return orderResult(order, version);
    });
  }
}
