import { z } from 'zod';
import { defineEvent } from '../event-definition';
import { Topics } from '../topics';
import { amountCents, currency, id, isoTimestamp } from './common.schema';

const aggregateType = 'Order';
const topic = Topics.orderEvents;

export const orderItemSchema = z.object({
  sku: z.string().min(1).max(64),
  quantity: z.number().int().positive(),
  unitPriceCents: amountCents,
});

export const OrderPlaced = defineEvent({
  type: 'OrderPlaced',
  aggregateType,
  topic,
  schemaVersion: 1,
  schema: z.object({
    orderId: id,
    userId: id,
    items: z.array(orderItemSchema).min(1),
    totalCents: amountCents,
    currency,
    paymentMethod: z.string().min(1),
    /** After this instant without a payment outcome the order is cancelled (payment_timeout). */
    paymentDeadline: isoTimestamp,
  }),
});

export const OrderConfirmed = defineEvent({
  type: 'OrderConfirmed',
  aggregateType,
  topic,
  schemaVersion: 1,
  schema: z.object({ orderId: id, userId: id, paymentId: id, totalCents: amountCents, currency }),
});

export const OrderShipped = defineEvent({
  type: 'OrderShipped',
  aggregateType,
  topic,
  schemaVersion: 1,
  schema: z.object({ orderId: id, userId: id }),
});

export const OrderDelivered = defineEvent({
  type: 'OrderDelivered',
  aggregateType,
  topic,
  schemaVersion: 1,
  schema: z.object({ orderId: id, userId: id }),
});

export const orderCancellationReasons = ['payment_failed', 'payment_timeout', 'customer_request', 'user_deleted'] as const;

export const OrderCancelled = defineEvent({
  type: 'OrderCancelled',
  aggregateType,
  topic,
  schemaVersion: 1,
  schema: z.object({
    orderId: id,
    userId: id,
    reason: z.enum(orderCancellationReasons),
    /** True when the order had been paid for: payment-service refunds it. */
    refundDue: z.boolean(),
  }),
});
