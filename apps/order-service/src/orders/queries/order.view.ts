import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { CancellationReason, OrderItem, OrderStatus } from '../domain/order.aggregate';

export class OrderItemView {
  @ApiProperty() sku!: string;
  @ApiProperty() quantity!: number;
  @ApiProperty() unitPriceCents!: number;
}

/** An order as GET /orders/:id returns it. */
export class OrderView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty({ enum: ['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED'] }) status!: OrderStatus;
  @ApiProperty({ type: [OrderItemView] }) items!: OrderItem[];
  @ApiProperty({ description: 'integer minor units' }) totalCents!: number;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty() paymentMethod!: string;
  @ApiProperty({ format: 'date-time' }) paymentDeadline!: string;
  @ApiPropertyOptional({ format: 'uuid' }) paymentId?: string;
  @ApiPropertyOptional({ enum: ['payment_failed', 'payment_timeout', 'customer_request', 'user_deleted'] }) cancelReason?: CancellationReason;
  @ApiPropertyOptional({ description: 'set when cancelled: whether the payment is refunded' }) refundDue?: boolean;
  @ApiProperty({ description: 'Aggregate version this view reflects (also the ETag)' }) version!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiPropertyOptional({ format: 'date-time' }) confirmedAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) shippedAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) deliveredAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) cancelledAt?: string;
}

export interface OrderRow {
  id: string;
  user_id: string;
  status: OrderStatus;
  items: OrderItem[];
  /** bigint comes back from pg as a string. */
  total_cents: string;
  currency: string;
  payment_method: string;
  payment_deadline: Date;
  payment_id: string | null;
  cancel_reason: CancellationReason | null;
  refund_due: boolean | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  confirmed_at: Date | null;
  shipped_at: Date | null;
  delivered_at: Date | null;
  cancelled_at: Date | null;
}

export function toOrderView(row: OrderRow): OrderView {
  return {
    id: row.id,
    userId: row.user_id,
    status: row.status,
    items: row.items,
    totalCents: Number(row.total_cents),
    currency: row.currency,
    paymentMethod: row.payment_method,
    paymentDeadline: row.payment_deadline.toISOString(),
    ...(row.payment_id ? { paymentId: row.payment_id } : {}),
    ...(row.cancel_reason ? { cancelReason: row.cancel_reason } : {}),
    ...(row.refund_due !== null ? { refundDue: row.refund_due } : {}),
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    ...(row.confirmed_at ? { confirmedAt: row.confirmed_at.toISOString() } : {}),
    ...(row.shipped_at ? { shippedAt: row.shipped_at.toISOString() } : {}),
    ...(row.delivered_at ? { deliveredAt: row.delivered_at.toISOString() } : {}),
    ...(row.cancelled_at ? { cancelledAt: row.cancelled_at.toISOString() } : {}),
  };
}
