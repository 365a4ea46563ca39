import type { Build } from './api';
import { buildOutcome, withoutApiCalls } from './status-text';

describe('status text in the dashboard', () => {
  it.each([
    [
      'Lower what it books (quantity, memoryRequestMb or cpuRequest in the formation: PATCH /api/apps/:app/environments/:env/formation), or ask the operator to add capacity.',
      'Lower what it books (quantity, memoryRequestMb or cpuRequest in the formation), or ask the operator to add capacity.',
    ],
    [
      'Raise memoryMb of the web process in the formation (PATCH /api/apps/:app/environments/:env/formation) or make it use less memory; its logs show what it was doing.',
      'Raise memoryMb of the web process in the formation or make it use less memory; its logs show what it was doing.',
    ],
    ['Check its logs. Or redeploy v5 (POST …/releases/v5/redeploy).', 'Check its logs. Or redeploy v5.'],
    ['Scale it up: PATCH /api/apps/:app/environments/:env/formation {"web": {"quantity": 1}}.', 'Scale it up.'],
    ['Wait a minute and reload; follow the build with GET /api/apps/:app/builds.', 'Wait a minute and reload.'],
  ])('leaves the API calls out of %j', (hint, shown) => {
    expect(withoutApiCalls(hint)).toBe(shown);
  });

  const build = { status: 'succeeded', failureReason: null, release: null } as unknown as Build;
  it('tells a build whose release failed from one that failed', () => {
    expect(buildOutcome({ ...build, release: { version: 3, status: 'failed', failureReason: 'web.1 exited with code 1' } })).toEqual({
      status: 'release_failed',
      reason: 'Build succeeded; release v3 failed: web.1 exited with code 1',
    });
    expect(buildOutcome({ ...build, status: 'failed', failureReason: 'npm install failed' })).toEqual({ status: 'failed', reason: 'npm install failed' });
    expect(buildOutcome({ ...build, release: { version: 3, status: 'active', failureReason: null } })).toEqual({ status: 'succeeded', reason: null });
  });
});
