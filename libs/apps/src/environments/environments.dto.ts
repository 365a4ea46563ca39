import { ApiProperty } from '@nestjs/swagger';
import { Satisfies } from '@berth/common';

export const MAX_TTL_HOURS = 24 * 365;

export function ttlHoursProblem(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TTL_HOURS) {
    return `must be a whole number of hours from 1 to ${MAX_TTL_HOURS}, or null to keep the environment until it is deleted`;
  }
  return null;
}

export class UpdateEnvironmentDto {
  @ApiProperty({ nullable: true, example: 72, description: 'Remove this preview this many hours from now; null keeps it until deleted.' })
  @Satisfies(ttlHoursProblem)
  ttlHours: number | null;
}
