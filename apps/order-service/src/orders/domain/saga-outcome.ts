import type { CancellationReason, OrderStatus } from './order.aggregate';

/**
 * How an order's saga (ARCHITECTURE §5) ended, from the order's side: `confirmed` once paid for
 * (whatever shipping does next), `cancelled` with the reason (payment_failed and payment_timeout
 * are the compensations; a cancelled paid order is refunded by payment-service). Undefined while
 * the order still waits for its payment. The one place this is decided: GET /orders/:id/saga
 * uses it, and so can a saga metric.
 */
export type SagaOutcome = { status: 'confirmed' } | { status: 'cancelled'; reason: CancellationReason };

export function sagaOutcome(order: { status: OrderStatus | 'none'; cancelReason?: CancellationReason }): SagaOutcome | undefined {
  switch (order.status) {
    case 'none':
    case 'PENDING':
      return undefined;
    case 'CONFIRMED':
    case 'SHIPPED':
    case 'DELIVERED':
      return { status: 'confirmed' };
    case 'CANCELLED':
      if (!order.cancelReason) throw new Error('a cancelled order has a cancellation reason');
      return { status: 'cancelled', reason: order.cancelReason };
  }
}
