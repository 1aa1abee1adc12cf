import type { Settings } from '@causeway/config';
import type { EventPayload } from '@causeway/contracts';
import { ConcurrencyConflictError, DomainRuleViolation, type EventStore } from '@causeway/eventsourcing';
import { AuditTrail, commandCausation, EVENT_STORE, inTransaction, PG_POOL, SERVICE, SETTINGS, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
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
      order.execute({
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
          const { version } = await this.orders.save(order, commandCausation(this.service.name, commandId), tx);
          // Durable, with the event: the deadline outlives this process (PaymentDeadlineWatcher).
          await this.deadlines.schedule(tx, order.id, paymentDeadline);
          await recordAccepted(tx);
          return orderResult(order, version);
        });
      } catch (error) {
        // An id from an Idempotency-Key that is taken: the order was placed by an earlier request
        // with the key (a concurrent one waited for its commit, then met its version 1).
        if (command.idempotent && error instanceof ConcurrencyConflictError) return this.replay(command);
        throw error;
      }
    });
  }

  /** The order placed first under the key, as it is now, if this request is the same; 422 if not. */
  private async replay(command: PlaceOrder): Promise<OrderCommandResult> {
    const history = await this.store.readStream(command.orderId);
    const placed = history.find((e) => e.eventType === 'OrderPlaced')?.data as EventPayload<'OrderPlaced'> | undefined;
    const same =
      placed !== undefined &&
      placed.userId === command.userId &&
      placed.currency === command.currency &&
      placed.paymentMethod === command.paymentMethod &&
      isDeepStrictEqual(placed.items, command.items);
    if (!same) throw new DomainRuleViolation('idempotency_key_reused', 'this Idempotency-Key was used for a different order: send a new key for a new order');
    const order = this.orders.fromStream(command.orderId, history);
    return { ...orderResult(order, order.version), replayed: true };
  }
}
