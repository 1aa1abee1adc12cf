import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Order, OrderStatus } from '../domain/order.aggregate';

/** What an order command returns: the order, its status and the version the write produced (ETag, read-your-writes). */
export class OrderCommandResult {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED'] }) status!: OrderStatus;
  @ApiProperty() version!: number;
  /** Only on the repeat of a request with an Idempotency-Key: the order as it is now, placed by the first. */
  @ApiPropertyOptional({ description: 'true when this answers a repeated Idempotency-Key: the order the first request placed, as it is now' })
  replayed?: true;
}

export function orderResult(order: Order, version: number): OrderCommandResult {
  const { status } = order.current;
  if (status === 'none') throw new Error(`order ${order.id} has no status: it was never placed`);
  return { id: order.id, status, version };
}
