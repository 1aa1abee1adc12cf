import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { PaymentStatus } from '../domain/payment.aggregate';

export const paymentStatuses: readonly PaymentStatus[] = ['initiated', 'processed', 'failed', 'refunded'];

/** A payment as GET /payments/:id returns it. */
export class PaymentView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) orderId!: string;
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty({ enum: paymentStatuses }) status!: PaymentStatus;
  @ApiProperty({ description: 'integer minor units' }) amountCents!: number;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty() paymentMethod!: string;
  @ApiPropertyOptional() providerReference?: string;
  @ApiPropertyOptional() failureReason?: string;
  @ApiPropertyOptional() refundReason?: string;
  @ApiProperty({ description: 'Aggregate version this view reflects (also the ETag)' }) version!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export interface PaymentRow {
  id: string;
  order_id: string;
  user_id: string;
  status: PaymentStatus;
  amount_cents: string; // bigint comes back as a string
  currency: string;
  payment_method: string;
  provider_reference: string | null;
  failure_reason: string | null;
  refund_reason: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export function toPaymentView(row: PaymentRow): PaymentView {
  return {
    id: row.id,
    orderId: row.order_id,
    userId: row.user_id,
    status: row.status,
    amountCents: Number(row.amount_cents),
    currency: row.currency,
    paymentMethod: row.payment_method,
    ...(row.provider_reference ? { providerReference: row.provider_reference } : {}),
    ...(row.failure_reason ? { failureReason: row.failure_reason } : {}),
    ...(row.refund_reason ? { refundReason: row.refund_reason } : {}),
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
