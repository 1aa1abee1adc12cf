import { CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CustomerDirectory } from '../../../customers/customer-directory';
import { CancelOrder } from '../cancel-order/cancel-order.command';
import { CancelCustomerOrders } from './cancel-customer-orders.command';

@CommandHandler(CancelCustomerOrders)
export class CancelCustomerOrdersHandler implements ICommandHandler<CancelCustomerOrders> {
  constructor(
    private readonly customers: CustomerDirectory,
    private readonly commands: CommandBus,
  ) {}

  /**
   * Runs after the customer was marked deleted in the same transaction: that update waited for
   * any PlaceOrder still holding the customer row (FOR SHARE), so every order placed before the
   * delete is listed here, and none can be placed after it.
   */
  async execute({ userId, reaction }: CancelCustomerOrders): Promise<{ cancelled: string[] }> {
    const cancelled: string[] = [];
    for (const orderId of await this.customers.ordersOf(reaction.transaction, userId)) {
      const result = await this.commands.execute(new CancelOrder(orderId, 'user_deleted', undefined, reaction));
      if (result) cancelled.push(orderId);
    }
    return { cancelled };
  }
}
