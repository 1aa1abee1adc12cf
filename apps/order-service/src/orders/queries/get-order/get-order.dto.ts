import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Min } from 'class-validator';

export class GetOrderDto {
  @ApiPropertyOptional({ description: 'wait (briefly) until the view reflects at least this version: read-your-writes' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  minVersion?: number;
}
