import { deriveStatus, StatusFacts } from './environment-status.service';

const base: StatusFacts = { appName: 'shop', envName: 'production', branch: 'main', routable: 0, latestBuild: null, active: null, newer: null, instances: [] };

describe('environment status', () => {
  it.each<[string, Partial<StatusFacts>, string, RegExp]>([
    ['nothing pushed', {}, 'not_deployed', /git push <berth remote> main/],
    ['first build running', { latestBuild: { status: 'building', failureReason: null } }, 'building', /build/],
    ['build failed', { latestBuild: { status: 'failed', failureReason: 'no package.json' } }, 'build_failed', /no package.json/],
    ['first release starting', { latestBuild: { status: 'succeeded', failureReason: null }, newer: { version: 1, status: 'deploying', failureReason: null } }, 'starting', /v1 is starting/],
    ['first release failed', { newer: { version: 1, status: 'failed', failureReason: 'health check timed out' } }, 'release_failed', /health check timed out/],
    ['serving', { routable: 2, active: { version: 3, webQuantity: 2 } }, 'running', /2 web instances are serving release v3/],
    ['scaled to zero', { active: { version: 3, webQuantity: 0 } }, 'scaled_to_zero', /scaled to zero/],
    ['crashed', { active: { version: 3, webQuantity: 1 }, instances: [{ actualState: 'crashed', reason: 'exit 1', restartCount: 4 }] }, 'crashed', /crashed: exit 1 \(restarted 4 times\)/],
    ['no capacity', { active: { version: 3, webQuantity: 1 }, instances: [{ actualState: 'pending', reason: 'no host has 512 MiB free', restartCount: 0 }] }, 'unplaced', /no host has 512 MiB free/],
    ['starting', { active: { version: 3, webQuantity: 1 }, instances: [{ actualState: 'starting', reason: null, restartCount: 0 }] }, 'starting', /starting/],
  ])('%s', (_what, facts, state, message) => {
    const status = deriveStatus({ ...base, ...facts });
    expect(status.state).toBe(state);
    expect(`${status.message} ${status.hint}`).toMatch(message);
  });

  it('blames the host, not the memory asked for, when the only host is down', () => {
    for (const reason of ['cannot be placed: the only host is down; placement resumes when one is ready and uncordoned', 'moved: host h1 stopped answering']) {
      const status = deriveStatus({ ...base, active: { version: 3, webQuantity: 1 }, instances: [{ actualState: 'pending', reason, restartCount: 0 }] });
      expect(status.state).toBe('unplaced');
      expect(status.hint).toMatch(/host stopped answering/);
      expect(status.hint).not.toMatch(/memory|Lower/i);
    }
  });

  it('says since when and after how long an environment sleeps, and that a request wakes it', () => {
    const since = new Date('2026-11-30T12:00:00.000Z');
    const status = deriveStatus({ ...base, active: { version: 3, webQuantity: 1 }, sleeping: { since, afterMinutes: 30 } });
    expect(status).toEqual({ state: 'sleeping', message: 'Asleep since 2026-11-30T12:00:00.000Z after 30 minutes without requests.', hint: 'The next request wakes it.', since: '2026-11-30T12:00:00.000Z' });
  });

  it('says a release is starting, not sleeping, while one rolls out in a sleeping environment', () => {
    const status = deriveStatus({ ...base, active: { version: 3, webQuantity: 1 }, newer: { version: 4, status: 'deploying', failureReason: null }, sleeping: { since: new Date(), afterMinutes: 30 } });
    expect(status.state).toBe('starting');
  });

  it('says the app is running while a new build runs', () => {
    expect(deriveStatus({ ...base, routable: 1, active: { version: 1, webQuantity: 1 }, latestBuild: { status: 'building', failureReason: null } }).state).toBe('running');
  });
});
