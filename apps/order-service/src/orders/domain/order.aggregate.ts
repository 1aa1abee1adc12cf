import type { EventPayload, orderCancellationReasons } from '@causeway/contracts';
import { Aggregate, assertNever, DomainRuleViolation, type DomainEvent } from '@causeway/eventsourcing';

export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED';
export type CancellationReason = (typeof orderCancellationReasons)[number];
export type OrderItem = EventPayload<'OrderPlaced'>['items'][number];

/**
 * Cancellations the system makes in reaction to other events, and the statuses they apply in. In
 * any other status the reaction is a no-op (a repeat, or an outcome the order has moved past):
 * a failed or missing payment cancels only an order still waiting for it; a deleted user's open
 * orders, paid or not, are cancelled (the paid ones refunded).
 */
export const automaticCancellations: Readonly<Record<Exclude<CancellationReason, 'customer_request'>, readonly OrderStatus[]>> = {
  payment_failed: ['PENDING'],
  payment_timeout: ['PENDING'],
  user_deleted: ['PENDING', 'CONFIRMED'],
};

export interface OrderState {
  status: OrderStatus | 'none';
  userId: string;
  items: OrderItem[];
  totalCents: number;
  currency: string;
  paymentId?: string;
  cancelReason?: CancellationReason;
}

export type OrderCommand =
  | {
      type: 'PlaceOrder';
      userId: string;
      items: OrderItem[];
      currency: string;
      paymentMethod: string;
      /** now + settings.saga.payment_deadline, computed by the caller: the aggregate reads no clock. */
      paymentDeadline: string;
    }
  | { type: 'ConfirmOrder'; paymentId: string }
  | { type: 'ShipOrder' }
  | { type: 'DeliverOrder' }
  | { type: 'CancelOrder'; reason: CancellationReason };

export type OrderEvent =
  | DomainEvent<'OrderPlaced', EventPayload<'OrderPlaced'>>
  | DomainEvent<'OrderConfirmed', EventPayload<'OrderConfirmed'>>
  | DomainEvent<'OrderShipped', EventPayload<'OrderShipped'>>
  | DomainEvent<'OrderDelivered', EventPayload<'OrderDelivered'>>
  | DomainEvent<'OrderCancelled', EventPayload<'OrderCancelled'>>;

/**
 * An order's life: PENDING → CONFIRMED → SHIPPED → DELIVERED, or CANCELLED (from PENDING or
 * CONFIRMED, with a reason). The total is computed here, never taken from the client.
 */
export class Order extends Aggregate<OrderState, OrderCommand, OrderEvent> {
  readonly aggregateType = 'Order';

  protected initialState(): OrderState {
    return { status: 'none', userId: '', items: [], totalCents: 0, currency: '' };
  }

  get current(): Readonly<OrderState> {
    return this.state;
  }

  protected handle(command: OrderCommand): OrderEvent[] {
    switch (command.type) {
      case 'PlaceOrder':
        return [this.place(command)];
      case 'ConfirmOrder':
        this.requirePlaced('confirmed');
        if (this.state.status === 'CONFIRMED') throw this.wrongState('order_already_confirmed', 'confirmed');
        if (this.state.status !== 'PENDING') throw this.wrongState('order_not_pending', 'confirmed');
        return [{ type: 'OrderConfirmed', data: { orderId: this.id, userId: this.state.userId, paymentId: command.paymentId, totalCents: this.state.totalCents, currency: this.state.currency } }];
      case 'ShipOrder':
        this.requirePlaced('shipped');
        if (this.state.status === 'SHIPPED' || this.state.status === 'DELIVERED') throw this.wrongState('order_already_shipped', 'shipped');
        if (this.state.status !== 'CONFIRMED') throw this.wrongState('order_not_confirmed', 'shipped');
        return [{ type: 'OrderShipped', data: { orderId: this.id, userId: this.state.userId } }];
      case 'DeliverOrder':
        this.requirePlaced('delivered');
        if (this.state.status === 'DELIVERED') throw this.wrongState('order_already_delivered', 'delivered');
        if (this.state.status !== 'SHIPPED') throw this.wrongState('order_not_shipped', 'delivered');
        return [{ type: 'OrderDelivered', data: { orderId: this.id, userId: this.state.userId } }];
      case 'CancelOrder':
        this.requirePlaced('cancelled');
        if (this.state.status === 'SHIPPED' || this.state.status === 'DELIVERED') throw this.wrongState('order_already_shipped', 'cancelled');
        // Only a confirmed order has been paid for: cancelling it makes payment-service refund.
        return [{ type: 'OrderCancelled', data: { orderId: this.id, userId: this.state.userId, reason: command.reason, refundDue: this.state.status === 'CONFIRMED' } }];
      default:
        return assertNever(command);
    }
  }

  protected apply(state: OrderState, event: OrderEvent): OrderState {
    switch (event.type) {
      case 'OrderPlaced':
        return { status: 'PENDING', userId: event.data.userId, items: event.data.items, totalCents: event.data.totalCents, currency: event.data.currency };
      case 'OrderConfirmed':
        return { ...state, status: 'CONFIRMED', paymentId: event.data.paymentId };
      case 'OrderShipped':
        return { ...state, status: 'SHIPPED' };
      case 'OrderDelivered':
        return { ...state, status: 'DELIVERED' };
      case 'OrderCancelled':
        return { ...state, status: 'CANCELLED', cancelReason: event.data.reason };
      default:
        return assertNever(event);
    }
  }

  private place(command: Extract<OrderCommand, { type: 'PlaceOrder' }>): OrderEvent {
    if (this.state.status !== 'none') throw new DomainRuleViolation('order_exists', `order ${this.id} already exists`);
    if (command.items.length === 0) throw new DomainRuleViolation('order_without_items', 'an order needs at least one item');
    for (const item of command.items) {
      if (!Number.isInteger(item.quantity) || item.quantity < 1) throw new DomainRuleViolation('invalid_quantity', `${item.sku}: quantity must be a positive integer`);
      if (!Number.isInteger(item.unitPriceCents) || item.unitPriceCents < 0) throw new DomainRuleViolation('invalid_price', `${item.sku}: unitPriceCents must be a non-negative integer`);
    }
    const totalCents = command.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
    // Beyond 2^53 integer arithmetic in JavaScript (and JSON) silently loses cents.
    if (!Number.isSafeInteger(totalCents)) throw new DomainRuleViolation('order_total_too_large', 'the order total is too large');
    return {
      type: 'OrderPlaced',
      data: {
        orderId: this.id,
        userId: command.userId,
        items: command.items.map(({ sku, quantity, unitPriceCents }) => ({ sku, quantity, unitPriceCents })),
        totalCents,
        currency: command.currency,
        paymentMethod: command.paymentMethod,
        paymentDeadline: command.paymentDeadline,
      },
    };
  }

  /** Neither placed nor cancelled: the checks every transition after PlaceOrder shares. */
  private requirePlaced(wanted: string): void {
    if (this.state.status === 'none') throw new DomainRuleViolation('order_not_placed', `order ${this.id} has not been placed`);
    if (this.state.status === 'CANCELLED') throw this.wrongState(wanted === 'cancelled' ? 'order_already_cancelled' : 'order_cancelled', wanted);
  }

  private wrongState(code: string, wanted: string): DomainRuleViolation {
    return new DomainRuleViolation(code, `order ${this.id} is ${this.state.status} and cannot be ${wanted}`);
  }
}
