import { haproxyLogLevel } from './haproxy.process';

describe("sorting HAProxy's stderr lines for the log", () => {
  // Lines HAProxy 2.6.12 printed during reloads and rollouts in the e2e tests.
  it('keeps what every reload and rollout prints at debug', () => {
    for (const line of [
      '[WARNING]  (535) : Proxy env_a319d446-079c-413f-8b02-6bb40dba5eaa stopped (cumulated conns: FE: 0, BE: 0).',
      'Proxy <HTTPCLIENT> stopped (cumulated conns: FE: 0, BE: 0).',
      '[WARNING]  (557) : Former worker (560) exited with code 0 (Exit)',
      '[WARNING]  (14530) : Server env_81b75c8a/s1 is UP/READY (leaving forced maintenance).',
      '[WARNING]  (14530) : Server env_81b75c8a/s1 is going DOWN for maintenance. 1 active and 1 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
      '[NOTICE]   (532) : Loading success.',
    ]) {
      expect(haproxyLogLevel(line, false)).toBe('debug');
    }
  });

  it('warns of anything else, and reports alerts as errors unless HAProxy is being stopped', () => {
    expect(haproxyLogLevel('[WARNING]  (557) : Former worker (560) exited with code 139 (Segmentation fault)', false)).toBe('warn');
    expect(haproxyLogLevel('[WARNING]  (1) : Server env_x/s1 is DOWN, reason: Layer4 connection problem', false)).toBe('warn');
    expect(haproxyLogLevel('[ALERT]    (1) : Starting frontend berth: cannot bind socket', false)).toBe('error');
    expect(haproxyLogLevel('[ALERT]    (1) : Current worker (2) exited with code 143 (Terminated)', true)).toBe('debug');
  });
});
