import { describeResources } from './reasons';
import { place } from './stack';
import { cluster, host, res, running } from './testing';
import type { HostInput, Resources } from './types';

function reasonFor(hosts: HostInput[], resources: Resources, instances = [running('x', hosts[0]?.name ?? 'none', res(0))].filter(() => hosts.length > 0)): string {
  const plan = place(cluster(hosts, instances), { group: 'env/web', resources, count: 1 });
  expect(plan.placements).toEqual([]);
  return plan.pending[0].reason;
}

describe('pending reasons', () => {
  it('says when there are no hosts at all', () => {
    expect(reasonFor([], res(1))).toBe('there are no hosts yet: start an agent so it registers one');
  });

  it('says when every host is out of service, and how many of each', () => {
    expect(reasonFor([host('host-1', undefined, { state: 'down' }), host('host-2', undefined, { cordoned: true }), host('host-3', undefined, { state: 'down' })], res(1))).toBe(
      'all 3 hosts are down or cordoned (2 down, 1 cordoned); placement resumes when one is ready and uncordoned',
    );
    expect(reasonFor([host('host-1', undefined, { state: 'draining' })], res(1))).toBe('the only host is draining; placement resumes when one is ready and uncordoned');
  });

  it('names the resource no host has enough of, and the largest amount free', () => {
    const hosts = [host('host-1', res(1024, 4000, 1000)), host('host-2', res(2048, 4000, 1000)), host('host-3', res(512, 4000, 1000))];
    expect(reasonFor(hosts, res(4096, 100, 10))).toBe('no host has 4096 MiB of memory free (largest free: 2048 MiB on host-2); add a host or ask for less');
    expect(reasonFor(hosts, res(64, 4500, 10))).toBe('no host has 4.5 CPU free (largest free: 4 CPU on host-1); add a host or ask for less');
    expect(reasonFor(hosts, res(64, 100, 1001))).toBe('no host has 1001 pids free (largest free: 1000 pids on host-1); add a host or ask for less');
  });

  it('names every resource that is short', () => {
    expect(reasonFor([host('host-1', res(1024, 500, 100))], res(2048, 1000, 10))).toBe(
      'no host has 2048 MiB of memory free (largest free: 1024 MiB on host-1); no host has 1 CPU free (largest free: 0.5 CPU on host-1); add a host or ask for less',
    );
  });

  it('counts what is already booked', () => {
    const hosts = [host('host-1', res(4096, 4000, 1000))];
    const plan = place(cluster(hosts, [running('a', 'host-1', res(3072, 250, 10))]), { group: 'env/web', resources: res(2048, 100, 10), count: 1 });
    expect(plan.pending[0].reason).toBe('no host has 2048 MiB of memory free (largest free: 1024 MiB on host-1); add a host or ask for less');
  });

  it('says when each resource fits somewhere but never all on one host, naming the closest', () => {
    const hosts = [host('memory-rich', res(8192, 500, 1000)), host('cpu-rich', res(1024, 8000, 1000))];
    expect(reasonFor(hosts, res(2048, 2000, 10))).toBe(
      'no host has 2048 MiB of memory, 2 CPU and 10 pids free at once (closest: cpu-rich with 1024 MiB of memory, 8 CPU and 1000 pids free); add a host or ask for less',
    );
  });

  it('mentions hosts left out of service beside a resource shortage', () => {
    const hosts = [host('host-1', res(1024, 4000, 1000)), host('host-2', res(8192, 4000, 1000), { state: 'down' }), host('host-3', res(8192, 4000, 1000), { cordoned: true })];
    expect(reasonFor(hosts, res(2048, 100, 10))).toBe(
      'no host has 2048 MiB of memory free (largest free: 1024 MiB on host-1); add a host or ask for less (2 more hosts are down or cordoned)',
    );
  });

  it('describes a request size in one line', () => {
    expect(describeResources(res(512, 250, 256))).toBe('512 MiB, 0.25 CPU, 256 pids');
  });
});
