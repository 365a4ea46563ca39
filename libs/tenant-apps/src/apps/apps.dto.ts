import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { appNameProblem, Satisfies } from '@berth/common';
import { branchProblem } from '../branches';

export class CreateAppDto {
  @ApiProperty({ example: 'my-app', description: 'DNS label: 3 to 30 lowercase letters, digits and single hyphens, starting with a letter.' })
  @Satisfies(appNameProblem)
  name: string;

  @ApiPropertyOptional({ description: 'Team name; defaults to your personal team.' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  team?: string;

  @ApiPropertyOptional({ description: 'Branch that deploys to production; defaults to main.' })
  @IsOptional()
  @Satisfies(branchProblem)
  productionBranch?: string;
}
