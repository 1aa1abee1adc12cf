import type { EventPayload } from '@causeway/contracts';
import { Aggregate, assertNever, DomainRuleViolation, type DomainEvent } from '@causeway/eventsourcing';

export type PaymentStatus = 'initiated' | 'processed' | 'failed' | 'refunded';

export interface PaymentState {
  status: PaymentStatus | 'none';
  orderId: string;
  userId: string;
  amountCents: number;
  currency: string;
  paymentMethod: string;
  providerReference?: string;
}

export type PaymentCommand =
  | { type: 'InitiatePayment'; orderId: string; userId: string; amountCents: number; currency: string; paymentMethod: string }
  | { type: 'RecordPaymentProcessed'; providerReference: string }
  | { type: 'RecordPaymentFailed'; reason: string }
  | { type: 'RefundPayment'; reason: string };

export type PaymentEvent =
  | DomainEvent<'PaymentInitiated', EventPayload<'PaymentInitiated'>>
  | DomainEvent<'PaymentProcessed', EventPayload<'PaymentProcessed'>>
  | DomainEvent<'PaymentFailed', EventPayload<'PaymentFailed'>>
  | DomainEvent<'PaymentRefunded', EventPayload<'PaymentRefunded'>>;

/**
 * One payment for one order: initiated → processed | failed; processed → refunded (in full, once).
 * The provider call is not here: the aggregate only records what the provider answered.
 */
export class Payment extends Aggregate<PaymentState, PaymentCommand, PaymentEvent> {
  readonly aggregateType = 'Payment';

  protected initialState(): PaymentState {
    return { status: 'none', orderId: '', userId: '', amountCents: 0, currency: '', paymentMethod: '' };
  }

  get current(): Readonly<PaymentState> {
    return this.state;
  }

  protected handle(command: PaymentCommand): PaymentEvent[] {
    const paymentId = this.id;
    const { orderId, userId } = this.state;
    switch (command.type) {
      case 'InitiatePayment':
        if (this.state.status !== 'none') throw new DomainRuleViolation('payment_already_initiated', `payment ${this.id} for order ${this.state.orderId} already exists`);
        if (!Number.isInteger(command.amountCents) || command.amountCents < 0) throw new DomainRuleViolation('invalid_amount', `amount must be a non-negative number of cents, got ${command.amountCents}`);
        return [
          {
            type: 'PaymentInitiated',
            data: { paymentId, orderId: command.orderId, userId: command.userId, amountCents: command.amountCents, currency: command.currency, paymentMethod: command.paymentMethod },
          },
        ];
      case 'RecordPaymentProcessed':
        this.requireStatus('initiated', 'payment_not_pending', 'record a processed charge');
        return [{ type: 'PaymentProcessed', data: { paymentId, orderId, userId, amountCents: this.state.amountCents, currency: this.state.currency, providerReference: command.providerReference } }];
      case 'RecordPaymentFailed':
        this.requireStatus('initiated', 'payment_not_pending', 'record a failed charge');
        return [{ type: 'PaymentFailed', data: { paymentId, orderId, userId, reason: command.reason } }];
      case 'RefundPayment':
        if (this.state.status === 'refunded') throw new DomainRuleViolation('payment_already_refunded', `payment ${this.id} is already refunded`);
        this.requireStatus('processed', 'payment_not_refundable', 'refund');
        return [{ type: 'PaymentRefunded', data: { paymentId, orderId, userId, amountCents: this.state.amountCents, currency: this.state.currency, reason: command.reason } }];
      default:
        return assertNever(command);
    }
  }

  protected apply(state: PaymentState, event: PaymentEvent): PaymentState {
    switch (event.type) {
      case 'PaymentInitiated':
        return {
          status: 'initiated',
          orderId: event.data.orderId,
          userId: event.data.userId,
          amountCents: event.data.amountCents,
          currency: event.data.currency,
          paymentMethod: event.data.paymentMethod,
        };
      case 'PaymentProcessed':
        return { ...state, status: 'processed', providerReference: event.data.providerReference };
      case 'PaymentFailed':
        return { ...state, status: 'failed' };
      case 'PaymentRefunded':
        return { ...state, status: 'refunded' };
      default:
        return assertNever(event);
    }
  }

  private requireStatus(expected: PaymentStatus, code: string, action: string): void {
    if (this.state.status === 'none') throw new DomainRuleViolation('payment_not_initiated', `payment ${this.id} does not exist: cannot ${action}`);
    if (this.state.status !== expected) throw new DomainRuleViolation(code, `payment ${this.id} is ${this.state.status}: cannot ${action}`);
  }
}
