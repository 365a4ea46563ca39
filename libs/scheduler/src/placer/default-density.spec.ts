import { parseConfig } from '@berth/config';
import { ClusterSnapshot, place, requestsFor, Resources } from '@berth/placement';

/**
 * What Berth's default configuration lets one small host hold: a 2-core, 24 GiB machine as its
 * agent registers it (all cores, its memory less AGENT_RESERVED_MEMORY_MB, AGENT_PIDS), filled
 * with default-size instances that book what the rollout books (requestsFor with the
 * configured ratios), placed with the configured overcommit.
 */
describe('the default configuration on a 2-core, 24 GiB host', () => {
  const config = parseConfig({ BERTH_SECRET_KEY: 'ab'.repeat(32) });
  const capacity: Resources = { memoryMb: 24 * 1024 - config.agent.reservedMemoryMb, cpuMillis: 2000, pidsLimit: config.agent.pidsLimit };

  /** How many instances of this size place on one empty such host, and why the next one does not. */
  function fill(size: Resources) {
    const limits: Resources = { memoryMb: size.memoryMb, cpuMillis: size.cpuMillis, pidsLimit: size.pidsLimit };
    const snapshot = ClusterSnapshot.build({ hosts: [{ id: 'h', name: 'small', version: 0, state: 'ready', cordoned: false, capacity }], instances: [] }, config.placement);
    const plan = place(snapshot, { group: 'env/web', resources: requestsFor(limits, {}, config.placement.requestRatios), limits, count: 5000 });
    return { placed: plan.placements.length, reason: plan.pending[0]?.reason };
  }

  it('holds at least 600 awake default production web instances', () => {
    expect(capacity).toEqual({ memoryMb: 23552, cpuMillis: 2000, pidsLimit: 32768 });
    const { placed, reason } = fill(config.formation.production);
    expect(placed).toBeGreaterThanOrEqual(600);
    // CPU runs out first (2000 / 3 millicores); memory would take 736 (23552 / 32 MB), pids 2048 (16 × 32768 / 256).
    expect(placed).toBe(666);
    expect(reason).toMatch(/^no host has 0\.003 CPU free/);
  });

  it('holds more default previews', () => {
    const { placed, reason } = fill(config.formation.preview);
    // Memory runs out first (23552 / 16 MB); CPU would take 2000 (1 millicore each), pids 2048.
    expect(placed).toBe(1472);
    expect(reason).toMatch(/^no host has 16 MiB of memory free/);
  });
});
