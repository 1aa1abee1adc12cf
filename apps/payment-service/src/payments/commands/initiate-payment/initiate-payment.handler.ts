import { afterCommit, ConcurrencyConflictError } from '@causeway/eventsourcing';
import { AuditTrail, reactionCausation, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { paymentIdFor } from '../../domain/payment-id';
import { PAYMENT_REPOSITORY, type PaymentRepository } from '../../domain/payment.repository';
import { PaymentProcessor } from '../../processor/payment-processor';
import type { ReactionResult } from '../reaction';
import { InitiatePayment } from './initiate-payment.command';

@CommandHandler(InitiatePayment)
export class InitiatePaymentHandler implements ICommandHandler<InitiatePayment> {
  private readonly logger = new Logger('InitiatePayment');

  constructor(
    @Inject(PAYMENT_REPOSITORY) private readonly payments: PaymentRepository,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    private readonly processor: PaymentProcessor,
    private readonly audit: AuditTrail,
  ) {}

  async execute(command: InitiatePayment): Promise<ReactionResult> {
    const paymentId = paymentIdFor(command.orderId);
    // Nearly always the payment is new: it is started without a read, at version 0, and the
    // stream's unique version says when it is not.
    const payment = this.payments.startNew(paymentId);
    payment.execute({
      type: 'InitiatePayment',
      orderId: command.orderId,
      userId: command.userId,
      amountCents: command.amountCents,
      currency: command.currency,
      paymentMethod: command.paymentMethod,
    });
    let version: number;
    try {
      ({ version } = await this.payments.save(payment, reactionCausation(this.service.name, command.cause), command.transaction));
    } catch (error) {
      if (!(error instanceof ConcurrencyConflictError)) throw error;
      // The same order placed again (a redelivery under a new event id, a replay): its payment
      // exists already and is not started twice. The conflicting append leaves the consumer's
      // transaction usable, so this reaction still commits, as ignored.
      const existing = await this.payments.load(paymentId, command.transaction);
      this.logger.warn(`order ${command.orderId} already has payment ${paymentId} (${existing.current.status}): OrderPlaced ${command.cause.eventId} ignored`);
      return { paymentId, outcome: 'ignored', reason: 'payment_already_initiated' };
    }
    // Same transaction as PaymentInitiated: a payment is never initiated without its charge queued.
    await command.transaction.query(`INSERT INTO ${this.service.schema}.pending_charges (payment_id, order_id) VALUES ($1, $2) ON CONFLICT (payment_id) DO NOTHING`, [paymentId, command.orderId]);
    // Only now, not staged before the append as elsewhere: a payment initiated already (above)
    // ignores the event and must leave no accepted record. Staged here, it rides with the next
    // append of a shared transaction, or is written at its commit.
    await this.audit.recordReaction('InitiatePayment', paymentId, command.cause, command.transaction);
    // Charge as soon as it is committed, not at the processor's next poll.
    afterCommit(command.transaction, () => this.processor.wake());
    return { paymentId, version, outcome: 'recorded' };
  }
}
