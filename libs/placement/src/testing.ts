import { ClusterSnapshot } from './snapshot';
import type { HostInput, InstanceInput, PlacementPolicy, Resources } from './types';

/** Small builders for the specs (and the seeded RNG the benchmark shares): resources in MiB / millicores / pids. */

export const res = (memoryMb: number, cpuMillis = 0, pidsLimit = 0): Resources => ({ memoryMb, cpuMillis, pidsLimit });

export function host(name: string, capacity: Resources = res(4096, 4000, 1000), extra: Partial<HostInput> = {}): HostInput {
  return { id: `id-${name}`, name, version: 0, state: 'ready', cordoned: false, capacity, ...extra };
}

export function running(id: string, hostName: string, resources: Resources, group = 'env/web'): InstanceInput {
  return { id, hostId: `id-${hostName}`, group, resources };
}

export function cluster(hosts: HostInput[], instances: InstanceInput[] = [], policy: Partial<PlacementPolicy> = {}, levels?: number): ClusterSnapshot {
  return ClusterSnapshot.build({ hosts, instances }, policy, { levels });
}

/** mulberry32, for repeatable random clusters. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
