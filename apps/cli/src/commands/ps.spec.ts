import { instanceState, statusLines } from './ps';

describe('berth ps status', () => {
  it("prints the API's message and hint when the environment does not serve", () => {
    expect(statusLines({ state: 'unplaced', message: 'Release v1 waits for room on a host: no host has 4096 MB memory free.', hint: 'Lower what it books.' })).toEqual([
      'Status: unplaced: Release v1 waits for room on a host: no host has 4096 MB memory free.',
      '  Lower what it books.',
    ]);
  });

  it('says when the latest push failed while an older release serves', () => {
    expect(
      statusLines({
        state: 'running',
        message: '1 web instance is serving release v4.',
        hint: 'Nothing to do.',
        latestPush: { state: 'release_failed', message: 'Release v5 failed to start: web.1 exited with code 1. v4 keeps serving.', hint: 'Read its logs.' },
      }),
    ).toEqual(['Status: running: 1 web instance is serving release v4.', 'Latest push: release failed: Release v5 failed to start: web.1 exited with code 1. v4 keeps serving.', '  Read its logs.']);
  });

  it('shows an instance restarting after a crash as crashed, not starting', () => {
    expect(instanceState({ actualState: 'starting', desiredState: 'running', restartCount: 3, reason: 'exited with code 1; restarting in 2 s' })).toBe('crashed');
    expect(instanceState({ actualState: 'starting', desiredState: 'running', restartCount: 0, reason: null })).toBe('starting → running');
    expect(instanceState({ actualState: 'running', desiredState: 'stopped', restartCount: 0, reason: null })).toBe('running → stopped');
  });
});
