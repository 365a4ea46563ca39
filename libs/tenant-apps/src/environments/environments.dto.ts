import { ApiProperty } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { Satisfies } from '@berth/common';

export const MAX_TTL_HOURS = 24 * 365;
/** A week: an environment idle that long may as well sleep. */
export const MAX_SLEEP_AFTER_MINUTES = 7 * 24 * 60;

export function ttlHoursProblem(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TTL_HOURS) {
    return `must be a whole number of hours from 1 to ${MAX_TTL_HOURS}, or null to keep the environment until it is deleted`;
  }
  return null;
}

export function sleepAfterMinutesProblem(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_SLEEP_AFTER_MINUTES) {
    return `must be a whole number of minutes from 1 to ${MAX_SLEEP_AFTER_MINUTES}, or null to keep the environment awake`;
  }
  return null;
}

/** Either field, or both; a field left out is left as it is. */
export class UpdateEnvironmentDto {
  @ApiProperty({ required: false, nullable: true, example: 72, description: 'Remove this preview this many hours from now; null keeps it until deleted.' })
  @IsOptional()
  @Satisfies(ttlHoursProblem)
  ttlHours?: number | null;

  @ApiProperty({ required: false, nullable: true, example: 30, description: 'Put the environment to sleep after this many minutes without a request (its next request wakes it); null keeps it awake.' })
  @IsOptional()
  @Satisfies(sleepAfterMinutesProblem)
  sleepAfterMinutes?: number | null;
}
