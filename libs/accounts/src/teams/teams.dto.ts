import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsIn, IsString, MaxLength } from 'class-validator';
import { Role } from '@berth/db';
import { ROLE_NAMES } from '../roles';

export class CreateTeamDto {
  @ApiProperty({ example: 'acme' })
  @IsString()
  @MaxLength(40)
  name: string;
}

export class AddMemberDto {
  @ApiProperty({ example: 'grace@example.com' })
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'must be an email address' })
  email: string;

  @ApiProperty({ enum: ROLE_NAMES })
  @IsIn(ROLE_NAMES, { message: `must be one of ${ROLE_NAMES.join(', ')}` })
  role: Role;
}

export class ChangeRoleDto {
  @ApiProperty({ enum: ROLE_NAMES })
  @IsIn(ROLE_NAMES, { message: `must be one of ${ROLE_NAMES.join(', ')}` })
  role: Role;
}
