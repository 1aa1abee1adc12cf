import type { Settings } from '@causeway/config';
import { repositoryProvider, SETTINGS } from '@causeway/service-runtime';
import { Module } from '@nestjs/common';
import { InitiatePaymentHandler } from './commands/initiate-payment/initiate-payment.handler';
import { RecordChargeOutcomeHandler } from './commands/record-charge-outcome/record-charge-outcome.handler';
import { RefundCancelledOrderPaymentHandler } from './commands/refund-cancelled-order-payment/refund-cancelled-order-payment.handler';
import { OrderEventsConsumer } from './consumers/order-events.consumer';
import { Payment } from './domain/payment.aggregate';
import { PAYMENT_REPOSITORY } from './domain/payment.repository';
import { PaymentsController } from './payments.controller';
import { PAYMENT_PROCESSOR_OPTIONS, PaymentProcessor, type PaymentProcessorOptions } from './processor/payment-processor';
import { PaymentsProjection } from './projections/payments.projection';
import { PAYMENT_PROVIDER } from './provider/payment-provider.port';
import { SandboxPaymentProvider } from './provider/sandbox-payment-provider';
import { GetPaymentHandler } from './queries/get-payment/get-payment.handler';
import { ListPaymentsHandler } from './queries/list-payments/list-payments.handler';

@Module({
  controllers: [PaymentsController, OrderEventsConsumer],
  providers: [
    repositoryProvider(PAYMENT_REPOSITORY, (id) => new Payment(id)),
    // The sandbox is the only adapter today; a real provider is another factory here.
    { provide: PAYMENT_PROVIDER, inject: [SETTINGS], useFactory: (settings: Settings) => new SandboxPaymentProvider(settings.payment_sandbox.latency, settings.payment_sandbox.timeout_delay) },
    {
      provide: PAYMENT_PROCESSOR_OPTIONS,
      inject: [SETTINGS],
      useFactory: (settings: Settings): PaymentProcessorOptions => ({
        // Waiting on the provider holds no connection, so slow charges (tok_timeout) do not starve the rest.
        concurrency: 16,
        // New charges wake the workers (wake() after PaymentInitiated commits); the poll only finds
        // retries that came due and leases that expired, so it can be slow.
        pollIntervalMs: 1_000,
        retryBackoffMs: settings.processing.retry_backoff,
        maxBackoffMs: 60_000,
        shutdownGraceMs: 2_000,
        leaseMs: 10_000,
      }),
    },
    InitiatePaymentHandler,
    RecordChargeOutcomeHandler,
    RefundCancelledOrderPaymentHandler,
    GetPaymentHandler,
    ListPaymentsHandler,
    PaymentsProjection,
    PaymentProcessor,
  ],
})
export class PaymentsModule {}
