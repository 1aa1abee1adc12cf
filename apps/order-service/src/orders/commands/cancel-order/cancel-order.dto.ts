import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class CancelOrderDto {
  /**
   * The customer's own words. The order is cancelled with reason `customer_request` whatever they
   * say: payment_failed, payment_timeout and user_deleted are facts only reactions establish.
   * OrderCancelled has no field for free text (yet), so the words are not recorded.
   */
  @ApiPropertyOptional({ maxLength: 500, description: 'free text; the recorded reason is always customer_request' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
