import { z } from 'zod';
import { env } from '../env';

/**
 * Overcommit per resource: the scheduler books up to declared capacity × ratio on each host.
 * Memory and CPU are already booked by requests below their limits (see the ratios below), so
 * their overcommit stays 1. Pids book the pids limit, a ceiling against fork bombs rather than
 * a reservation (an idle web process runs a handful of tasks), so a host's pids are booked 16
 * times over: 2,048 default instances (256 pids each) on a host declaring 32,768.
 */
export const placementEnv = z.object({
  PLACEMENT_OVERCOMMIT_MEMORY: env.number(1, 0.1, 4),
  PLACEMENT_OVERCOMMIT_CPU: env.number(1, 0.1, 64),
  PLACEMENT_OVERCOMMIT_PIDS: env.number(16, 0.1, 64),
  /**
   * What an instance books when its formation names no request, as a fraction of its limit:
   * an eighth of its memory limit (32 MB of the default 256 MB, 16 MB of a preview's 128 MB)
   * and a two-hundredth of its CPU quota (3 millicores of the default 0.5 CPU, rounded to whole
   * millicores). An instance may use memory up to its limit; a host whose memory runs short
   * puts its least recently requested idle environments to sleep (MEMORY_PRESSURE_*). CPU is
   * shared by cpu.shares in proportion to requests. A memory ratio of 1 books the whole limit:
   * no memory overcommit, at about an eighth of the density.
   */
  PLACEMENT_MEMORY_REQUEST_RATIO: env.number(0.125, 0.01, 1),
  PLACEMENT_CPU_REQUEST_RATIO: env.number(0.005, 0.001, 1),
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
