import type { CatalogEvent } from '@causeway/contracts';
import { KafkaEventContext } from '@causeway/messaging';
import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { CancelCustomerOrders } from '../orders/commands/cancel-customer-orders/cancel-customer-orders.command';
import { CustomerDirectory } from './customer-directory';

/**
 * user_events → the customers projection, in the inbox transaction of each event; a deleted
 * user's open orders are cancelled in that same transaction (ARCHITECTURE §5.5).
 */
@Controller()
export class UserEventsConsumer {
  constructor(
    private readonly customers: CustomerDirectory,
    private readonly commands: CommandBus,
  ) {}

  @EventPattern('UserCreated')
  async noteUserCreated(@Payload() event: CatalogEvent<'UserCreated'>, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.customers.note(ctx.transaction, event.data.userId, 'active', event.version);
  }

  @EventPattern('UserDeleted')
  async noteUserDeleted(@Payload() event: CatalogEvent<'UserDeleted'>, @Ctx() ctx: KafkaEventContext): Promise<void> {
    // First: from here on no order can be placed for this user, and every earlier one is listed.
    await this.customers.note(ctx.transaction, event.data.userId, 'deleted', event.version);
    await this.commands.execute(new CancelCustomerOrders(event.data.userId, { transaction: ctx.transaction, cause: event }));
  }
}
