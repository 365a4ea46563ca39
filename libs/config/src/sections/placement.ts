import { z } from 'zod';
import { env } from '../env';

/**
 * Overcommit per resource: the scheduler books up to declared capacity × ratio on each host.
 * Memory is not compressible (overcommitting it trades for OOM kills); a CPU quota is a
 * ceiling, not a reservation, so CPU is the usual one to raise.
 */
export const placementEnv = z.object({
  PLACEMENT_OVERCOMMIT_MEMORY: env.number(1, 0.1, 4),
  PLACEMENT_OVERCOMMIT_CPU: env.number(1, 0.1, 64),
  PLACEMENT_OVERCOMMIT_PIDS: env.number(1, 0.1, 64),
  /**
   * What an instance books when its formation names no request, as a fraction of its limit.
   * Its memory limit whole (memory is not compressible), a twentieth of its CPU quota (25
   * millicores of the default 0.5 CPU): CPU is shared by cpu.shares in proportion to requests.
   */
  PLACEMENT_MEMORY_REQUEST_RATIO: env.number(1, 0.01, 1),
  PLACEMENT_CPU_REQUEST_RATIO: env.number(0.05, 0.001, 1),
});

/** Shaped as @berth/placement's PlacementPolicy, so `ClusterSnapshot.build(input, config.placement)` works as is. */
export const mapPlacement = (e: z.infer<typeof placementEnv>) => ({
  overcommit: {
    memoryMb: e.PLACEMENT_OVERCOMMIT_MEMORY,
    cpuMillis: e.PLACEMENT_OVERCOMMIT_CPU,
    pidsLimit: e.PLACEMENT_OVERCOMMIT_PIDS,
  },
  requestRatios: { memoryMb: e.PLACEMENT_MEMORY_REQUEST_RATIO, cpuMillis: e.PLACEMENT_CPU_REQUEST_RATIO },
});
