import { markCrashed, placedOn, unplaced, wokenElsewhere, wokenInPlace } from './instance-state';

const CONTAINER_FIELDS = ['containerId', 'hostPort', 'healthy', 'startedAt', 'memoryUsageBytes', 'cpuUsagePercent'];
const forgetsContainer = (data: object) => {
  const fields = data as Record<string, unknown>;
  for (const field of CONTAINER_FIELDS) expect(field in fields ? [field, fields[field]] : [field, 'kept']).toEqual([field, field === 'healthy' ? false : null]);
};

describe('instance state transitions', () => {
  it('a first placement only sets the host: there is no container to forget', () => {
    expect(placedOn('h1', null)).toEqual({ hostId: 'h1', reason: null });
  });

  it('a move, an unplacement, a wake elsewhere and a crash forget the container the same way', () => {
    for (const data of [placedOn('h2', { reason: 'moved: host a is draining' }), unplaced('cannot be placed: no room'), wokenElsewhere(), markCrashed('crashed', 'exited with code 1; restarting in 2 s')]) {
      forgetsContainer(data);
    }
  });

  it('a move or an unplacement waits as pending, with why', () => {
    expect(placedOn('h2', { reason: 'moved: x' })).toMatchObject({ hostId: 'h2', actualState: 'pending', reason: 'moved: x' });
    expect(unplaced('cannot be placed: y')).toMatchObject({ hostId: null, actualState: 'pending', reason: 'cannot be placed: y' });
  });

  it('a wake runs again; in place it keeps its container but is not healthy until probed', () => {
    expect(wokenInPlace()).toEqual({ desiredState: 'running', healthy: false, reason: null });
    expect(wokenElsewhere()).toMatchObject({ desiredState: 'running', hostId: null, actualState: 'pending', reason: null });
  });

  it('a crash counts a restart and keeps its host', () => {
    const data = markCrashed('failed', 'could not start');
    expect(data).toMatchObject({ actualState: 'failed', restartCount: { increment: 1 }, reason: 'could not start' });
    expect('hostId' in data).toBe(false);
  });
});
