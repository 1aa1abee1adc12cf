import { z } from 'zod';
import { defineEvent } from '../event-definition';
import { Topics } from '../topics';
import { amountCents, currency, id } from './common.schema';

const aggregateType = 'Payment';
const topic = Topics.paymentEvents;

export const PaymentInitiated = defineEvent({
  type: 'PaymentInitiated',
  aggregateType,
  topic,
  schemaVersion: 1,
  schema: z.object({ paymentId: id, orderId: id, userId: id, amountCents, currency, paymentMethod: z.string().min(1) }),
});

export const PaymentProcessed = defineEvent({
  type: 'PaymentProcessed',
  aggregateType,
  topic,
  schemaVersion: 1,
  schema: z.object({ paymentId: id, orderId: id, userId: id, amountCents, currency, providerReference: z.string().min(1) }),
});

export const PaymentFailed = defineEvent({
  type: 'PaymentFailed',
  aggregateType,
  topic,
  schemaVersion: 1,
  schema: z.object({ paymentId: id, orderId: id, userId: id, reason: z.string().min(1) }),
});

export const PaymentRefunded = defineEvent({
  type: 'PaymentRefunded',
  aggregateType,
  topic,
  schemaVersion: 1,
  schema: z.object({ paymentId: id, orderId: id, userId: id, amountCents, currency, reason: z.string().min(1) }),
});
