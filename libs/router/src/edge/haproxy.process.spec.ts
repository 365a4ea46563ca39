import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { haproxyLogLevel, processAlive, runningHaproxy, socketsOf, stillListening } from './haproxy.process';

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

describe('telling whether an old worker still listens beside the new one', () => {
  it('reads the sockets a process holds from /proc: a listener opened shows, a gone process holds none', async () => {
    const server = createServer();
    const before = socketsOf(process.pid);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const opened = [...socketsOf(process.pid)].filter((s) => !before.has(s));
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatch(/^socket:\[\d+\]$/);
    // A process shares its own listeners; a pid that does not run shares nothing.
    expect(stillListening(process.pid, process.pid)).toBe(true);
    expect(stillListening(999999999, process.pid)).toBe(false);
    await new Promise((resolve) => server.close(resolve));
    expect(socketsOf(process.pid).has(opened[0])).toBe(false);
  });
});
