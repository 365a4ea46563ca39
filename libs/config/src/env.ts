import { z } from 'zod';

/** Helpers for declaring environment variables: every value arrives as a string or not at all. */
export const env = {
  string: (fallback?: string) => (fallback === undefined ? z.string().min(1) : z.string().min(1).default(fallback)),
  port: (fallback: number) =>
    z.coerce.number({ error: 'expected a port number' }).int().min(1).max(65535).default(fallback),
  int: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce.number({ error: 'expected a whole number' }).int().min(min).max(max).default(fallback),
  number: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce.number({ error: 'expected a number' }).min(min).max(max).default(fallback),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  url: (protocols: string[], fallback?: string) => {
    const base = z.string().refine((value) => {
      try {
        return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    }, `expected a ${protocols.join(' or ')} URL`);
    return fallback === undefined ? base : base.default(fallback);
  },
  optional: () => z.string().min(1).optional(),
};
