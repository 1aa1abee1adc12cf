import { afterCommit } from '@causeway/eventsourcing';
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
    const tx = command.transaction;
    // The charge is queued first, in the same transaction as PaymentInitiated (a payment is never
    // initiated without it), and the row also tells whether this order's payment exists already:
    // the same order placed again (a redelivery under a new event id, a replay) starts nothing,
    // and leaves no accepted record.
    // It holds what the charge needs, so the processor asks the provider without reading the payment.
    const queued = await tx.query(
      `INSERT INTO ${this.service.schema}.pending_charges (payment_id, order_id, amount_cents, currency, payment_method) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (payment_id) DO NOTHING`,
      [paymentId, command.orderId, command.amountCents, command.currency, command.paymentMethod],
    );
    if (queued.rowCount === 0) {
      const existing = await this.payments.load(paymentId, tx);
      this.logger.warn(`order ${command.orderId} already has payment ${paymentId} (${existing.current.status}): OrderPlaced ${command.cause.eventId} ignored`);
      return { paymentId, outcome: 'ignored', reason: 'payment_already_initiated' };
    }
    // The payment is new: started without a read, at version 0 (a conflict, a stream without its
    // charge row, fails the reaction), its audit record written with it in one statement.
    const payment = this.payments.startNew(paymentId);
    payment.execute({
      type: 'InitiatePayment',
      orderId: command.orderId,
      userId: command.userId,
      amountCents: command.amountCents,
      currency: command.currency,
      paymentMethod: command.paymentMethod,
    });
    await this.audit.recordReaction('InitiatePayment', paymentId, command.cause, tx);
    const { version } = await this.payments.save(payment, reactionCausation(this.service.name, command.cause), tx);
    // Charge as soon as it is committed, not at the processor's next poll.
    afterCommit(tx, () => this.processor.wake());
    return { paymentId, version, outcome: 'recorded' };
  }
}
