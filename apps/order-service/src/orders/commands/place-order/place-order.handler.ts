import type { Settings } from '@causeway/config';
import { ConcurrencyConflictError, type EventStore } from '@causeway/eventsourcing';
import { assertRepeatOf, AuditTrail, commandCausation, EVENT_STORE, inTransaction, PG_POOL, SERVICE, SETTINGS, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { CustomerDirectory } from '../../../customers/customer-directory';
import { PaymentDeadlines } from '../../deadlines/payment-deadlines';
import { ORDER_REPOSITORY, type OrderRepository } from '../../domain/order.repository';
import { orderResult, type OrderCommandResult } from '../command-result';
import { PlaceOrder } from './place-order.command';

@CommandHandler(PlaceOrder)
export class PlaceOrderHandler implements ICommandHandler<PlaceOrder> {
  constructor(
    @Inject(ORDER_REPOSITORY) private readonly orders: OrderRepository,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    @Inject(SETTINGS) private readonly settings: Settings,
    private readonly customers: CustomerDirectory,
    private readonly audit: AuditTrail,
    private readonly deadlines: PaymentDeadlines,
  ) {}

  async execute(command: PlaceOrder): Promise<OrderCommandResult> {
    const commandId = randomUUID();
    return this.audit.run('PlaceOrder', command.orderId, commandId, async (recordAccepted) => {
      // The controller generated the id just now: a new order, nothing to load.
      const order = this.orders.startNew(command.orderId);
      const paymentDeadline = new Date(Date.now() + this.settings.saga.payment_deadline).toISOString();
      const [placed] = order.execute({
        type: 'PlaceOrder',
        userId: command.userId,
        items: command.items,
        currency: command.currency,
        paymentMethod: command.paymentMethod,
        paymentDeadline,
      });
      try {
        return await inTransaction(this.pool, async (tx) => {
          await this.customers.admitOrder(tx, command.userId, order.id);
          await recordAccepted(tx);
          const { version } = await this.orders.save(order, commandCausation(this.service.name, commandId), tx);
          // Durable, with the event: the deadline outlives this process (PaymentDeadlineWatcher).
          await this.deadlines.schedule(tx, order.id, paymentDeadline);
          return orderResult(order, version);
        });
      } catch (error) {
        // An id from an Idempotency-Key that is taken: the order was placed by an earlier request
        // with the key (a concurrent one waited for its commit, then met its version 1). The
        // answer is that order as it is now.
        if (!command.idempotent || !(error instanceof ConcurrencyConflictError)) throw error;
        const earlier = await this.store.readStream(command.orderId);
        assertRepeatOf(earlier, placed.data, 'order', ['paymentDeadline']);
        const first = this.orders.fromStream(command.orderId, earlier);
        return { ...orderResult(first, first.version), replayed: true };
      }
    });
  }
}
