import { ApiProperty } from '@nestjs/swagger';

/** What a command returns: the aggregate and the version the write produced (read-your-writes, ETag). */
export class CommandResult {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() version!: number;
}
