import { PageQueryDto } from '@causeway/service-runtime';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';

export class ListNotificationsDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: "only this user's notifications" })
  @IsOptional()
  @IsUUID()
  userId?: string;

  @ApiPropertyOptional({ enum: ['sent', 'failed'] })
  @IsOptional()
  @IsIn(['sent', 'failed'])
  status?: 'sent' | 'failed';
}
