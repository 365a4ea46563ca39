import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';

export class SignupDto {
  @ApiProperty({ example: 'ada@example.com' })
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'must be an email address such as ada@example.com' })
  email: string;

  @ApiProperty({ minLength: 8, maxLength: 200, description: 'At least 8 characters and hard to guess: common passwords, keyboard patterns and the email itself are refused (400 weak_password)' })
  @IsString()
  @Length(8, 200, { message: 'must be 8 to 200 characters long' })
  password: string;
}

export class LoginDto {
  @ApiProperty()
  @IsString()
  @MaxLength(254)
  email: string;

  @ApiProperty()
  @IsString()
  @MaxLength(200)
  password: string;
}
