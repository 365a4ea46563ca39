import { place } from './stack';
import { cluster, host, res, running } from './testing';
import { DEFAULT_REQUEST_RATIOS, requestsFor } from './types';

/** A 2-core, 24 GiB machine as an agent registers it: its memory less the 1 GiB it reserves. */
const SMALL_HOST = res(24 * 1024 - 1024, 2000, 32768);
/** A default web instance: FORMATION_DEFAULT_MEMORY_MB, _CPU and _PIDS. */
const DEFAULT_WEB = res(256, 500, 256);

describe('requests and limits', () => {
  it('books requests, not limits', () => {
    const snapshot = cluster([host('host-1', res(4096, 2000, 1000), { version: 2 })]);
    const plan = place(snapshot, { group: 'env/web', resources: res(256, 25, 64), limits: res(256, 500, 64), count: 3 });
    expect(plan.pending).toEqual([]);
    expect(plan.placements.map((p) => p.resources)).toEqual([res(256, 25, 64), res(256, 25, 64), res(256, 25, 64)]);
    expect(plan.claims).toEqual([{ hostId: 'id-host-1', hostName: 'host-1', version: 2, adds: res(768, 75, 192) }]);
    expect(snapshot.apply(plan).host('id-host-1')).toMatchObject({ booked: res(768, 75, 192), free: res(3328, 1925, 808) });
  });

  it('fits at least 600 default web instances on a 2-core, 24 GiB host', () => {
    const requests = requestsFor(DEFAULT_WEB);
    // An eighth of 256 MB; a two-hundredth of 500 millicores, 2.5, rounded to 3.
    expect(requests).toEqual(res(32, 3, 256));
    // Pids as Berth's configuration books them: 16 times the host's (PLACEMENT_OVERCOMMIT_PIDS).
    const plan = place(cluster([host('small', SMALL_HOST)], [], { overcommit: { memoryMb: 1, cpuMillis: 1, pidsLimit: 16 } }), { group: 'env/web', resources: requests, limits: DEFAULT_WEB, count: 1000 });
    expect(plan.placements.length).toBeGreaterThanOrEqual(600);
    // CPU runs out first: 2000 millicores / 3 (memory would take 23552 / 32 = 736, pids 16 × 32768 / 256 = 2048).
    expect(plan.placements).toHaveLength(666);
    expect(plan.pending[0].reason).toBe('no host has 0.003 CPU free (largest free: 0.002 CPU on small); add a host or ask for less');
  });

  it('when limits were booked, the same host took four', () => {
    const plan = place(cluster([host('small', SMALL_HOST)]), { group: 'env/web', resources: DEFAULT_WEB, count: 100 });
    expect(plan.placements).toHaveLength(4);
  });

  it('refuses a host too small for the limits, however little the requests book', () => {
    const snapshot = cluster([host('small', SMALL_HOST)]);
    const memory = place(snapshot, { group: 'env/web', resources: res(256, 25, 256), limits: res(32768, 500, 256), count: 1 });
    expect(memory.placements).toEqual([]);
    expect(memory.pending[0].reason).toBe('no host is large enough for a memory limit of 32768 MiB (largest: 23552 MiB on small); lower the limit or add a larger host');
    const cpu = place(snapshot, { group: 'env/web', resources: res(256, 25, 256), limits: res(256, 4000, 256), count: 1 });
    expect(cpu.pending[0].reason).toBe('no host is large enough for a CPU limit of 4 CPU (largest: 2 CPU on small); lower the limit or add a larger host');
  });

  it('picks the host large enough for the limits over a fuller one that is not', () => {
    const snapshot = cluster([host('tiny', res(512, 1000, 1000)), host('big', res(8192, 8000, 1000))], [running('a', 'tiny', res(64, 10, 1))]);
    const plan = place(snapshot, { group: 'env/web', resources: res(64, 10, 1), limits: res(1024, 500, 1), count: 1 });
    expect(plan.placements.map((p) => p.hostName)).toEqual(['big']);
  });

  it('refuses requests above their limits', () => {
    const snapshot = cluster([host('host-1')]);
    expect(() => place(snapshot, { group: 'env/web', resources: res(512, 25, 1), limits: res(256, 500, 1), count: 1 })).toThrow('request 0 (env/web): it books 512 memoryMb, more than its limit of 256');
  });
});

describe('requestsFor', () => {
  it('takes explicit requests, else the ratio of each limit, never above the limit', () => {
    expect(DEFAULT_REQUEST_RATIOS).toEqual({ memoryMb: 0.125, cpuMillis: 0.005 });
    expect(requestsFor(res(512, 1000, 100))).toEqual(res(64, 5, 100));
    // Never below 1: a preview's 128 MB and 0.25 CPU book 16 MB and 1 millicore (1.25 rounded).
    expect(requestsFor(res(128, 250, 256))).toEqual(res(16, 1, 256));
    expect(requestsFor(res(4, 100, 1))).toEqual(res(1, 1, 1));
    expect(requestsFor(res(512, 1000, 100), { memoryMb: 128, cpuMillis: 200 })).toEqual(res(128, 200, 100));
    expect(requestsFor(res(512, 1000, 100), { memoryMb: null, cpuMillis: 5000 })).toEqual(res(64, 1000, 100));
    expect(requestsFor(res(512, 10, 100), {}, { memoryMb: 0.5, cpuMillis: 0.01 })).toEqual(res(256, 1, 100));
  });
});
