import { PageQueryDto } from '@causeway/service-runtime';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional } from 'class-validator';

export class ListUsersDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['active', 'deleted'] })
  @IsOptional()
  @IsIn(['active', 'deleted'])
  status?: 'active' | 'deleted';

  @ApiPropertyOptional()
  @IsOptional()
  @IsEmail()
  email?: string;
}
