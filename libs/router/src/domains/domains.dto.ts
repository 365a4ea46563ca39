import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class AddDomainDto {
  @ApiProperty({ example: 'www.example.com', description: 'A domain name whose DNS points at the router.' })
  @IsString()
  @MaxLength(300)
  hostname: string;
}
