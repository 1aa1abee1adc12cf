import type { AggregateRepository } from '@causeway/eventsourcing';
import type { Payment } from './payment.aggregate';

export const PAYMENT_REPOSITORY = Symbol('PAYMENT_REPOSITORY');
export type PaymentRepository = AggregateRepository<Payment>;
