import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** What a command returns: the aggregate and the version the write produced (read-your-writes, ETag). */
export class CommandResult {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() version!: number;
  @ApiPropertyOptional({ description: 'true when this answers a repeated Idempotency-Key: the aggregate the first request created, as it is now' })
  replayed?: true;
}
