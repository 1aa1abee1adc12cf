import { AuditTrail, EVENT_STORE, reactionCausation, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import type { EventStore } from '@causeway/eventsourcing';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { lockOrderState } from '../../domain/order-states';
import { PAYMENT_REPOSITORY, type PaymentRepository } from '../../domain/payment.repository';
import { RefundReasons } from '../refund-cancelled-order-payment/refund-cancelled-order-payment.handler';
import type { ReactionResult } from '../reaction';
import { RecordChargeOutcome } from './record-charge-outcome.command';

@CommandHandler(RecordChargeOutcome)
export class RecordChargeOutcomeHandler implements ICommandHandler<RecordChargeOutcome> {
  constructor(
    @Inject(PAYMENT_REPOSITORY) private readonly payments: PaymentRepository,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    private readonly audit: AuditTrail,
  ) {}

  async execute({ paymentId, orderId, outcome, transaction }: RecordChargeOutcome): Promise<ReactionResult> {
    // The order's row lock first (see order-states.ts), then the payment as it is now, in one
    // read: its PaymentInitiated is the outcome's cause, its events are its state.
    const order = await lockOrderState(transaction, this.service.schema, orderId);
    const history = await this.store.readStream(paymentId, 0, transaction);
    const initiated = history.find((e) => e.eventType === 'PaymentInitiated');
    if (!initiated) return { paymentId, outcome: 'ignored', reason: 'payment does not exist' };
    const payment = this.payments.fromStream(paymentId, history);
    if (payment.current.status !== 'initiated') return { paymentId, outcome: 'ignored', reason: `payment is ${payment.current.status}` };

    if (outcome.status === 'succeeded') {
      payment.execute({ type: 'RecordPaymentProcessed', providerReference: outcome.providerReference });
      // Saga step 6: the order was cancelled while the charge was under way; nobody wants the
      // money any more, and it goes back in the same transaction that records it.
      if (order.cancelled) payment.execute({ type: 'RefundPayment', reason: RefundReasons.orderCancelledBeforePayment });
    } else {
      payment.execute({ type: 'RecordPaymentFailed', reason: outcome.reason });
    }
    await this.audit.recordReaction('RecordChargeOutcome', paymentId, initiated, transaction);
    // Caused by PaymentInitiated: the outcome sits in the order's correlation tree.
    const { version } = await this.payments.save(payment, reactionCausation(this.service.name, initiated), transaction);
    return { paymentId, version, outcome: 'recorded' };
  }
}
