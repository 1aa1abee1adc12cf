import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { CancellationReason, OrderStatus } from '../../domain/order.aggregate';
import type { SagaOutcome } from '../../domain/saga-outcome';

/** One event of an order's saga: the order's own, or another service's that this service consumed for it. */
export class SagaStepView {
  @ApiProperty({ example: 'OrderPlaced' }) eventType!: string;
  @ApiProperty({ example: 'order-service', description: 'the service that emitted the event (metadata.source)' }) service!: string;
  @ApiPropertyOptional({ description: 'the order version this event produced; absent for other services’ events' }) version?: number;
  @ApiProperty({ format: 'date-time' }) timestamp!: string;
  @ApiProperty() correlationId!: string;
  @ApiProperty() causationId!: string;
  @ApiProperty({ format: 'uuid' }) eventId!: string;
}

export class SagaOutcomeView {
  @ApiProperty({ enum: ['confirmed', 'cancelled'] }) status!: SagaOutcome['status'];
  @ApiPropertyOptional({ enum: ['payment_failed', 'payment_timeout', 'customer_request', 'user_deleted'] }) reason?: CancellationReason;
}

/** GET /orders/:id/saga: the order's saga step by step, oldest first, and where it stands. */
export class OrderSagaView {
  @ApiProperty({ format: 'uuid' }) orderId!: string;
  @ApiProperty({ enum: ['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED'], description: 'the order’s current status, from its event stream' }) status!: OrderStatus;
  @ApiProperty({ type: [SagaStepView] }) steps!: SagaStepView[];
  @ApiPropertyOptional({ type: SagaOutcomeView, description: 'absent while the order waits for its payment' }) outcome?: SagaOutcomeView;
}
