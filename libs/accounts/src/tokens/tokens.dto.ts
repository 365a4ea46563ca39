import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { SCOPES, Scope } from './scopes';

export class CreateTokenDto {
  @ApiProperty({ example: 'ci deploys' })
  @IsString()
  @Length(1, 100, { message: 'must be 1 to 100 characters long' })
  name: string;

  @ApiPropertyOptional({ enum: SCOPES, isArray: true, description: 'Defaults to every scope.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(SCOPES.length)
  @IsIn(SCOPES, { each: true, message: `must each be one of ${SCOPES.join(', ')}` })
  scopes?: Scope[];

  @ApiPropertyOptional({ description: 'Days until the token expires; omit for a token that does not expire.' })
  @IsOptional()
  @IsInt({ message: 'must be a whole number of days' })
  @Min(1)
  @Max(3650)
  expiresInDays?: number;
}
