import { AppError } from '@berth/common';
import { formatLine, lineJson } from './log-line';
import { DEFAULT_TAIL, parseLogQuery } from './log-query';

const now = new Date('2026-11-30T16:00:00Z');
const fields = (raw: Record<string, unknown>) => {
  try {
    parseLogQuery(raw, undefined, now);
  } catch (error) {
    return (error as AppError & { fields?: Record<string, string> }).fields ?? (error as Error).message;
  }
  return null;
};

describe('parseLogQuery', () => {
  it('has defaults: the last 100 lines as text, not followed', () => {
    expect(parseLogQuery({}, undefined, now)).toEqual({ tail: DEFAULT_TAIL, follow: false, format: 'text' });
  });

  it('answers JSON when the client accepts it, or when asked with format', () => {
    expect(parseLogQuery({}, 'application/json', now).format).toBe('json');
    expect(parseLogQuery({ format: 'json' }, 'text/plain', now).format).toBe('json');
    expect(parseLogQuery({ format: 'text' }, 'application/json', now).format).toBe('text');
  });

  it('reads every filter', () => {
    const query = parseLogQuery(
      { tail: '500', since: '2026-11-30T15:00:00Z', until: '1796054400', process: 'web', instance: 'web.2', source: 'berth', release: 'v3', q: 'crash', follow: 'true' },
      undefined,
      now,
    );
    expect(query).toEqual({
      tail: 500,
      since: new Date('2026-11-30T15:00:00Z'),
      until: new Date(1796054400 * 1000),
      processType: 'web',
      instance: 'web.2',
      source: 'berth',
      release: 3,
      q: 'crash',
      follow: true,
      format: 'text',
    });
  });

  it('takes times ago', () => {
    expect(parseLogQuery({ since: '15m' }, undefined, now).since).toEqual(new Date('2026-11-30T15:45:00Z'));
    expect(parseLogQuery({ since: '2d' }, undefined, now).since).toEqual(new Date('2026-11-28T16:00:00Z'));
  });

  it('refuses bad values, naming each field', () => {
    expect(fields({ tail: '0' })).toEqual({ tail: 'must be a whole number from 1 to 10000' });
    expect(fields({ tail: '10001' })).toHaveProperty('tail');
    expect(fields({ tail: 'ten' })).toHaveProperty('tail');
    expect(fields({ since: 'yesterday' })).toHaveProperty('since');
    expect(fields({ since: '2026-11-30T16:00:00Z', until: '2026-11-30T15:00:00Z' })).toHaveProperty('until');
    expect(fields({ source: 'kernel' })).toEqual({ source: 'must be one of app, router, berth' });
    expect(fields({ instance: 'web' })).toHaveProperty('instance');
    expect(fields({ process: 'we b' })).toHaveProperty('process');
    expect(fields({ release: 'latest' })).toHaveProperty('release');
    expect(fields({ follow: 'maybe' })).toHaveProperty('follow');
    expect(fields({ q: 'x'.repeat(201) })).toHaveProperty('q');
  });
});

describe('line formats', () => {
  const line = { id: '42', environmentId: 'e', time: new Date('2026-11-30T16:00:00.123Z'), source: 'app' as const, processType: 'web', instance: 'web.1', release: 3, stream: 'stdout' as const, text: 'hello' };

  it("prints Heroku's format", () => {
    expect(formatLine(line)).toBe('2026-11-30T16:00:00.123Z app[web.1]: hello');
    expect(formatLine({ ...line, source: 'berth', text: 'web.1 crashed: exited with code 1' })).toBe('2026-11-30T16:00:00.123Z berth: web.1 crashed: exited with code 1');
  });

  it('has a JSON shape with the origin', () => {
    expect(lineJson(line)).toEqual({ id: '42', time: '2026-11-30T16:00:00.123Z', source: 'app', origin: 'app[web.1]', process: 'web', instance: 'web.1', release: 3, stream: 'stdout', text: 'hello' });
  });
});
