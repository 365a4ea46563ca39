import { deriveStatus, StatusFacts, waitingForRoom } from './environment-status.service';

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
    ['crashed', { active: { version: 3, webQuantity: 1 }, instances: [{ actualState: 'crashed', reason: 'exit 1', restartCount: 4 }] }, 'crashed', /keeps crashing: exit 1 \(restarted 4 times\)/],
    ['no capacity', { active: { version: 3, webQuantity: 1 }, instances: [{ actualState: 'pending', reason: 'no host has 512 MiB free', restartCount: 0 }] }, 'unplaced', /no host has 512 MiB free/],
    ['starting', { active: { version: 3, webQuantity: 1 }, instances: [{ actualState: 'starting', reason: null, restartCount: 0 }] }, 'starting', /starting/],
  ])('%s', (_what, facts, state, message) => {
    const status = deriveStatus({ ...base, ...facts });
    expect(status.state).toBe(state);
    expect(`${status.message} ${status.hint}`).toMatch(message);
  });

  const roomReason = 'cannot be placed: no host has 4096 MB memory free (largest free: 900 MB on host-a)';
  const waitingFirst: Partial<StatusFacts> = {
    latestBuild: { status: 'succeeded', failureReason: null },
    newer: { version: 1, status: 'deploying', failureReason: null, instances: [{ actualState: 'pending', reason: roomReason, restartCount: 0 }] },
  };

  it('says a first release that cannot be placed waits for room, not that it is starting', () => {
    const status = deriveStatus({ ...base, ...waitingFirst });
    expect(status.state).toBe('unplaced');
    expect(status.message).toBe('Release v1 waits for room on a host: no host has 4096 MB memory free.');
    expect(`${status.message} ${status.hint}`).not.toMatch(/reload/);
  });

  it('gives a member the formation to change and an operator the numbers', () => {
    const member = deriveStatus({ ...base, ...waitingFirst }, 'member');
    const operator = deriveStatus({ ...base, ...waitingFirst }, 'operator');
    expect(member.hint).toMatch(/formation/);
    expect(member.message).not.toMatch(/host-a|900 MB/);
    expect(operator.message).toMatch(/4096 MB memory free \(largest free: 900 MB on host-a\)/);
    expect(operator.hint).toMatch(/Add a host/);
  });

  it('tells a member no host is that large when asking for less is the only way', () => {
    const room = waitingForRoom(2, 'cannot be placed: no host is large enough for 64 GB memory (largest: 8 GB on host-a)', 'member');
    expect(room.message).toBe('Release v2 waits for room on a host: no host is large enough for 64 GB memory.');
    expect(room.hint).toMatch(/lower memoryMb or cpu/);
  });

  it('reports an OOM kill as one, with the memory hint, also on a first release', () => {
    const oom = 'web.1 ran out of memory at 256 MB and was killed';
    const failed = deriveStatus({ ...base, newer: { version: 1, status: 'failed', failureReason: oom } });
    expect(failed.state).toBe('release_failed');
    expect(failed.message).toBe(`Release v1 failed to start: ${oom}.`);
    expect(failed.hint).toMatch(/memoryMb/);
    const crashed = deriveStatus({ ...base, active: { version: 2, webQuantity: 1 }, instances: [{ actualState: 'crashed', reason: 'ran out of memory at 256 MB and was killed; restarting in 1 s', restartCount: 1 }] });
    expect(crashed.message).toBe('The web process crashed: ran out of memory at 256 MB and was killed (restarted 1 time).');
    expect(crashed.hint).toMatch(/memoryMb/);
  });

  it('shows a crash loop as crashing between crashes, not as starting', () => {
    const status = deriveStatus({ ...base, active: { version: 3, webQuantity: 1 }, instances: [{ actualState: 'starting', reason: 'exited with code 1; restarting in 2 s', restartCount: 5 }] });
    expect(status.state).toBe('crashed');
    expect(status.message).toBe('The web process keeps crashing: exited with code 1 (restarted 5 times).');
  });

  it('tells the last of a failed first release and a failed build after it', () => {
    const release = { version: 1, status: 'failed' as const, failureReason: 'web.1 exited with code 1', createdAt: new Date('2026-11-30T10:00:00Z') };
    const build = { status: 'failed' as const, failureReason: 'npm install failed', createdAt: new Date('2026-11-30T11:00:00Z') };
    expect(deriveStatus({ ...base, newer: release, latestBuild: build }).state).toBe('build_failed');
    expect(deriveStatus({ ...base, newer: release, latestBuild: { ...build, createdAt: new Date('2026-11-30T09:00:00Z') } }).state).toBe('release_failed');
  });

  it('says a fresh start (never crashed) is starting', () => {
    expect(deriveStatus({ ...base, active: { version: 3, webQuantity: 1 }, instances: [{ actualState: 'starting', reason: null, restartCount: 0 }] }).state).toBe('starting');
  });

  describe('the latest push while an older release serves', () => {
    const serving: Partial<StatusFacts> = { routable: 1, active: { version: 4, webQuantity: 1, createdAt: new Date('2026-11-30T10:00:00Z') } };

    it('says the latest build failed', () => {
      const status = deriveStatus({ ...base, ...serving, latestBuild: { status: 'failed', failureReason: 'npm install failed', createdAt: new Date('2026-11-30T11:00:00Z') } });
      expect(status.state).toBe('running');
      expect(status.latestPush).toMatchObject({ state: 'build_failed', message: 'The last build failed: npm install failed.' });
    });

    it('does not blame a failed build older than the serving release', () => {
      const status = deriveStatus({ ...base, ...serving, latestBuild: { status: 'failed', failureReason: 'x', createdAt: new Date('2026-11-30T09:00:00Z') } });
      expect(status.latestPush).toBeNull();
    });

    it('says the latest release failed, and offers a redeploy', () => {
      const status = deriveStatus({ ...base, ...serving, latestBuild: { status: 'succeeded', failureReason: null }, newer: { version: 5, status: 'failed', failureReason: 'web.1 exited with code 1' } });
      expect(status.latestPush?.state).toBe('release_failed');
      expect(status.latestPush?.message).toBe('Release v5 failed to start: web.1 exited with code 1. v4 keeps serving.');
      expect(status.latestPush?.hint).toMatch(/redeploy/);
    });

    it('says the latest build failed after an earlier push whose release failed', () => {
      const status = deriveStatus({
        ...base,
        ...serving,
        newer: { version: 5, status: 'failed', failureReason: 'web.1 exited with code 1', createdAt: new Date('2026-11-30T11:00:00Z') },
        latestBuild: { status: 'failed', failureReason: 'npm install failed', createdAt: new Date('2026-11-30T12:00:00Z') },
      });
      expect(status.latestPush?.state).toBe('build_failed');
      const older = deriveStatus({
        ...base,
        ...serving,
        newer: { version: 5, status: 'failed', failureReason: 'web.1 exited with code 1', createdAt: new Date('2026-11-30T12:00:00Z') },
        latestBuild: { status: 'failed', failureReason: 'npm install failed', createdAt: new Date('2026-11-30T11:00:00Z') },
      });
      expect(older.latestPush?.state).toBe('release_failed');
    });

    it('says the latest release waits for room', () => {
      const status = deriveStatus({ ...base, ...serving, newer: { version: 5, status: 'deploying', failureReason: null, instances: [{ actualState: 'pending', reason: roomReason, restartCount: 0 }] } });
      expect(status.latestPush?.state).toBe('unplaced');
    });

    it('says nothing while the latest push is still building', () => {
      expect(deriveStatus({ ...base, ...serving, latestBuild: { status: 'building', failureReason: null } }).latestPush).toBeNull();
    });
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

  it('says when memory pressure, not idleness, put it to sleep', () => {
    const since = new Date('2026-11-30T12:00:00Z');
    const status = deriveStatus({ ...base, active: { version: 3, webQuantity: 1 }, sleeping: { since, afterMinutes: 30, cause: 'memory_pressure' } });
    expect(status.state).toBe('sleeping');
    expect(status.message).toBe('Asleep since 2026-11-30T12:00:00.000Z: its host ran short of memory, and it was the least recently requested environment there.');
  });

  it('says a release is starting, not sleeping, while one rolls out in a sleeping environment', () => {
    const status = deriveStatus({ ...base, active: { version: 3, webQuantity: 1 }, newer: { version: 4, status: 'deploying', failureReason: null }, sleeping: { since: new Date(), afterMinutes: 30 } });
    expect(status.state).toBe('starting');
  });

  it('says the app is running while a new build runs', () => {
    expect(deriveStatus({ ...base, routable: 1, active: { version: 1, webQuantity: 1 }, latestBuild: { status: 'building', failureReason: null } }).state).toBe('running');
  });
});
