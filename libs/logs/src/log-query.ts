import { invalidInput } from '@berth/common';
import { LOG_SOURCES, LogSource } from './log-line';

export const DEFAULT_TAIL = 100;
export const MAX_TAIL = 10_000;

/** What a reader asks of an environment's log: filters, and how many of the newest lines. */
export interface LogFilter {
  since?: Date;
  until?: Date;
  processType?: string;
  instance?: string;
  source?: LogSource;
  release?: number;
  /** Text the line contains (case-insensitive). */
  q?: string;
}

export interface LogQuery extends LogFilter {
  tail: number;
  follow: boolean;
  format: 'text' | 'json';
}

const RELATIVE = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** An ISO time, a Unix time in seconds, or a time ago (`30s`, `15m`, `2h`, `7d`). */
function parseTime(value: string, now: Date): Date | null {
  const relative = RELATIVE.exec(value);
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]);
  if (/^\d{9,11}(\.\d+)?$/.test(value)) return new Date(Number(value) * 1000);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return null;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? null : time;
}

const one = (value: unknown): string | undefined => (Array.isArray(value) ? String(value[value.length - 1]) : value === undefined ? undefined : String(value));

/**
 * Parses the query string of GET …/logs; every refused value is named with what is allowed.
 * `accept` is the request's Accept header: JSON when it asks for application/json.
 */
export function parseLogQuery(raw: Record<string, unknown>, accept: string | undefined, now: Date): LogQuery {
  const errors: Record<string, string> = {};
  const query: LogQuery = { tail: DEFAULT_TAIL, follow: false, format: /application\/json/i.test(accept ?? '') ? 'json' : 'text' };

  const tail = one(raw.tail);
  if (tail !== undefined) {
    const n = Number(tail);
    if (!/^\d+$/.test(tail) || n < 1 || n > MAX_TAIL) errors.tail = `must be a whole number from 1 to ${MAX_TAIL}`;
    else query.tail = n;
  }
  for (const key of ['since', 'until'] as const) {
    const value = one(raw[key]);
    if (value === undefined) continue;
    const time = parseTime(value, now);
    if (!time) errors[key] = 'must be an ISO time (2026-11-30T16:00:00Z), Unix seconds or a time ago (30s, 15m, 2h, 7d)';
    else query[key] = time;
  }
  if (query.since && query.until && query.since > query.until) errors.until = 'must not be before since';
  const process = one(raw.process);
  if (process !== undefined) {
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/i.test(process)) errors.process = 'must be a process type, e.g. web';
    else query.processType = process;
  }
  const instance = one(raw.instance);
  if (instance !== undefined) {
    if (!/^[a-z0-9][a-z0-9_-]{0,62}\.\d{1,4}$/i.test(instance)) errors.instance = 'must name an instance, e.g. web.1';
    else query.instance = instance;
  }
  const source = one(raw.source);
  if (source !== undefined) {
    if (!(LOG_SOURCES as readonly string[]).includes(source)) errors.source = `must be one of ${LOG_SOURCES.join(', ')}`;
    else query.source = source as LogSource;
  }
  const release = one(raw.release);
  if (release !== undefined) {
    const match = /^v?(\d{1,9})$/i.exec(release);
    if (!match) errors.release = 'must be a release version, e.g. v3 or 3';
    else query.release = Number(match[1]);
  }
  const q = one(raw.q);
  if (q !== undefined && q !== '') {
    if (q.length > 200) errors.q = 'must be at most 200 characters';
    else query.q = q;
  }
  const follow = one(raw.follow);
  if (follow !== undefined) {
    if (!['true', 'false', '1', '0'].includes(follow)) errors.follow = 'must be true or false';
    else query.follow = follow === 'true' || follow === '1';
  }
  const format = one(raw.format);
  if (format !== undefined) {
    if (format !== 'text' && format !== 'json') errors.format = 'must be text or json';
    else query.format = format;
  }
  if (Object.keys(errors).length) throw invalidInput(errors);
  return query;
}
