import { ApiError, environmentStatus, linesOf, statusOf } from './api';

describe('ApiError.routeMissing', () => {
  it('is true only for the router\'s own 404, not for a missing app or build', () => {
    expect(new ApiError({ statusCode: 404, code: 'not_found', message: 'Cannot GET /api/apps/x/builds' }).routeMissing).toBe(true);
    expect(new ApiError({ statusCode: 404, code: 'app_not_found', message: 'No app named "x"' }).routeMissing).toBe(false);
    expect(new ApiError({ statusCode: 403, code: 'forbidden', message: 'Cannot GET this' }).routeMissing).toBe(false);
  });
});

describe('build log events', () => {
  it('takes a line as plain text or from JSON', () => {
    expect(linesOf('Step 1/4')).toEqual(['Step 1/4']);
    expect(linesOf('{"line":"npm ci\\n"}')).toEqual(['npm ci']);
    expect(linesOf('{not json')).toEqual(['{not json']);
  });

  it('takes the end status bare or from JSON', () => {
    expect(statusOf('succeeded')).toBe('succeeded');
    expect(statusOf('{"status":"failed","reason":"x"}')).toBe('failed');
    expect(statusOf('"succeeded"')).toBe('succeeded');
    expect(statusOf('')).toBeNull();
  });
});

describe('environmentStatus', () => {
  const env = { id: '1', name: 'production', kind: 'production' as const, branch: 'main', url: 'http://x', createdAt: '', expiresAt: null };
  it('reads a word with a separate reason, an object, or nothing', () => {
    expect(environmentStatus({ ...env, status: 'crashed', statusReason: 'exit 1' })).toEqual({ state: 'crashed', reason: 'exit 1' });
    expect(environmentStatus({ ...env, status: { state: 'no capacity', reason: 'no host has 2 GiB free' } })).toEqual({ state: 'no capacity', reason: 'no host has 2 GiB free' });
    expect(environmentStatus(env)).toBeNull();
  });
});
