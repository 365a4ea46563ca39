import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haproxyLogLevel, processAlive, runningHaproxy } from './haproxy.process';

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

describe('finding the HAProxy a killed router left running', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-adopt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('adopts only a live process whose command line reads this directory’s configuration', () => {
    expect(runningHaproxy(dir)).toBeNull(); // no pid file
    writeFileSync(join(dir, 'haproxy.pid'), `${process.pid}\n`);
    expect(processAlive(process.pid)).toBe(true);
    expect(runningHaproxy(dir)).toBeNull(); // alive, but not HAProxy of this directory
    writeFileSync(join(dir, 'haproxy.pid'), '999999999\n');
    expect(processAlive(999999999)).toBe(false);
    expect(runningHaproxy(dir)).toBeNull();
    writeFileSync(join(dir, 'haproxy.pid'), 'garbage\n');
    expect(runningHaproxy(dir)).toBeNull();
  });
});
