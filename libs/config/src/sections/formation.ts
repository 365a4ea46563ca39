import { z } from 'zod';
import { env } from '../env';

/** What a process type gets when nobody asked for anything, and the most anyone may ask for. */
export const formationEnv = z.object({
  FORMATION_DEFAULT_MEMORY_MB: env.int(256, 16, 1048576),
  FORMATION_DEFAULT_CPU: env.number(0.5, 0.01, 1024),
  FORMATION_DEFAULT_PIDS: env.int(256, 8, 1048576),
  /** Each instance's own disk: its copy of the app directory plus what it writes there. */
  FORMATION_DEFAULT_DISK_MB: env.int(1024, 64, 1048576),
  /** Previews are smaller by default: many of them share the hosts. */
  FORMATION_PREVIEW_MEMORY_MB: env.int(128, 16, 1048576),
  FORMATION_PREVIEW_CPU: env.number(0.25, 0.01, 1024),
  FORMATION_MAX_QUANTITY: env.int(20, 1, 10000),
  FORMATION_MAX_MEMORY_MB: env.int(4096, 16, 1048576),
  FORMATION_MAX_CPU: env.number(4, 0.01, 1024),
  FORMATION_MAX_PIDS: env.int(4096, 8, 1048576),
  FORMATION_MAX_DISK_MB: env.int(10240, 64, 1048576),
});

export const mapFormation = (e: z.infer<typeof formationEnv>) => ({
  production: { memoryMb: e.FORMATION_DEFAULT_MEMORY_MB, cpuMillis: Math.round(e.FORMATION_DEFAULT_CPU * 1000), pidsLimit: e.FORMATION_DEFAULT_PIDS, diskMb: e.FORMATION_DEFAULT_DISK_MB },
  preview: { memoryMb: e.FORMATION_PREVIEW_MEMORY_MB, cpuMillis: Math.round(e.FORMATION_PREVIEW_CPU * 1000), pidsLimit: e.FORMATION_DEFAULT_PIDS, diskMb: e.FORMATION_DEFAULT_DISK_MB },
  max: { quantity: e.FORMATION_MAX_QUANTITY, memoryMb: e.FORMATION_MAX_MEMORY_MB, cpuMillis: Math.round(e.FORMATION_MAX_CPU * 1000), pidsLimit: e.FORMATION_MAX_PIDS, diskMb: e.FORMATION_MAX_DISK_MB },
});
