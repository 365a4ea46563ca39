import { isReady, isRoutable, RoutableFacts, ROUTABLE_INSTANCE } from './routes';

const serving: RoutableFacts = { processType: 'web', desiredState: 'running', actualState: 'running', healthy: true, hostPort: 32001, host: { state: 'ready' } };

describe('isRoutable: ROUTABLE_INSTANCE on a row', () => {
  it('routes a healthy web instance that runs with a published port on a host that is up', () => {
    expect(isRoutable(serving)).toBe(true);
  });

  it('keeps routing the instances of a draining host, and of a silent one until it is marked down', () => {
    // A host whose agent went silent stays `ready` while its instances answer (SchedulerLoop.markSilentHostsDown).
    expect(isRoutable({ ...serving, host: { state: 'draining' } })).toBe(true);
  });

  it.each<[string, Partial<RoutableFacts>]>([
    ['its host is marked down', { host: { state: 'down' } }],
    ['it has no host', { host: null }],
    ['it has no published port', { hostPort: null }],
    ['it is not healthy', { healthy: false }],
    ['it is starting', { actualState: 'starting' }],
    ['it is told to stop', { desiredState: 'stopped' }],
    ['it is not a web instance', { processType: 'worker' }],
  ])('does not route an instance when %s', (_why, change) => {
    expect(isRoutable({ ...serving, ...change })).toBe(false);
  });

  it('checks every field of the query, so the two cannot drift apart', () => {
    expect(Object.keys(ROUTABLE_INSTANCE).sort()).toEqual(['actualState', 'desiredState', 'healthy', 'host', 'hostPort', 'processType']);
  });
});

describe("isReady: a rollout's instance", () => {
  it('is ready when web and routable, or any other process that runs', () => {
    expect(isReady(serving)).toBe(true);
    expect(isReady({ ...serving, processType: 'worker', healthy: false, hostPort: null })).toBe(true);
  });

  it('is not ready when web and not routable, or another process not running', () => {
    expect(isReady({ ...serving, healthy: false })).toBe(false);
    expect(isReady({ ...serving, host: { state: 'down' } })).toBe(false);
    expect(isReady({ ...serving, processType: 'worker', actualState: 'starting' })).toBe(false);
  });
});
