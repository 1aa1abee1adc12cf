import { AuditTrail, reactionCausation, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { noteOrderCancelled } from '../../domain/order-states';
import { paymentIdFor } from '../../domain/payment-id';
import { PAYMENT_REPOSITORY, type PaymentRepository } from '../../domain/payment.repository';
import type { ReactionResult } from '../reaction';
import { RefundCancelledOrderPayment } from './refund-cancelled-order-payment.command';

export const RefundReasons = {
  /** The order was paid, then cancelled (refundDue). */
  orderCancelled: 'order_cancelled',
  /** The charge succeeded after the order had been cancelled (payment_timeout): nobody wanted it any more. */
  orderCancelledBeforePayment: 'order_cancelled_before_payment',
} as const;

@CommandHandler(RefundCancelledOrderPayment)
export class RefundCancelledOrderPaymentHandler implements ICommandHandler<RefundCancelledOrderPayment> {
  constructor(
    @Inject(PAYMENT_REPOSITORY) private readonly payments: PaymentRepository,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    private readonly audit: AuditTrail,
  ) {}

  async execute(command: RefundCancelledOrderPayment): Promise<ReactionResult> {
    const paymentId = paymentIdFor(command.orderId);
    // First the order's row lock (see noteOrderCancelled), then the payment: a charge being
    // recorded right now either committed before this (we see it processed and refund it) or
    // waits for this commit (and refunds it itself).
    await noteOrderCancelled(command.transaction, this.service.schema, command.orderId, command.cancelReason);
    const payment = await this.payments.load(paymentId, command.transaction);
    const status = payment.exists ? payment.current.status : 'none';
    // Only a charged payment is refunded; an initiated one is refunded by the PaymentProcessor if
    // its charge succeeds; failed or refunded ones need nothing. Safe to repeat.
    if (status !== 'processed') return { paymentId, outcome: 'ignored', reason: `payment is ${status}` };
    // refundDue=false with a charged payment: the charge succeeded after order-service gave up
    // on it (payment_timeout) — the late success the saga refunds automatically.
    payment.execute({ type: 'RefundPayment', reason: command.refundDue ? RefundReasons.orderCancelled : RefundReasons.orderCancelledBeforePayment });
    await this.audit.recordReaction('RefundCancelledOrderPayment', paymentId, command.cause, command.transaction);
    const { version } = await this.payments.save(payment, reactionCausation(this.service.name, command.cause), command.transaction);
    return { paymentId, version, outcome: 'recorded' };
  }
}
