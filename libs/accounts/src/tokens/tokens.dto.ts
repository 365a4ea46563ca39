import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { SCOPES, Scope } from './scopes';

export class CreateTokenDto {
  @ApiProperty({ example: 'ci deploys' })
  @IsString()
  @Length(1, 100, { message: 'must be 1 to 100 characters long' })
  name: string;

  @ApiPropertyOptional({
    enum: SCOPES,
    isArray: true,
    description: "Defaults to the calling token's scopes; cannot include a scope the calling token lacks (403).",
  })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty({ message: `must list at least one scope: ${SCOPES.join(', ')}` })
  @ArrayMaxSize(SCOPES.length)
  @IsIn(SCOPES, { each: true, message: `must each be one of ${SCOPES.join(', ')}` })
  scopes?: Scope[];

  @ApiPropertyOptional({
    description:
      'Days until the token expires; omit for a token that does not expire. A token that expires can only create tokens expiring no later than itself (403); a login session can create any.',
  })
  @IsOptional()
  @IsInt({ message: 'must be a whole number of days' })
  @Min(1)
  @Max(3650)
  expiresInDays?: number;
}
