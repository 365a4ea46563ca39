import { Prisma } from '@berth/db';

/**
 * The one owner of an instance's state transitions: each function returns the row's new fields
 * (Prisma update data), so every writer resets the same fields the same way. Whatever belonged to
 * a container (its id, published port, health, start time, usage) goes with it.
 */
const NO_CONTAINER = {
  containerId: null,
  hostPort: null,
  healthy: false,
  startedAt: null,
  memoryUsageBytes: null,
  cpuUsagePercent: null,
} satisfies Prisma.InstanceUpdateManyMutationInput;

/** Placed on a host (a new one when it was moved): a fresh start there. A first placement has no container to forget. */
export function placedOn(hostId: string, moved: { reason: string } | null): Prisma.InstanceUncheckedUpdateManyInput {
  return moved ? { hostId, reason: moved.reason, ...NO_CONTAINER, actualState: 'pending' } : { hostId, reason: null };
}

/** Lost its host and fits on no other: it waits, pending, for the scheduler to place it. */
export function unplaced(reason: string): Prisma.InstanceUncheckedUpdateManyInput {
  return { hostId: null, reason, ...NO_CONTAINER, actualState: 'pending' };
}

/** Woken from sleep where its host has no room for it: the scheduler places it afresh; the agent there removes the old container. */
export function wokenElsewhere(): Prisma.InstanceUncheckedUpdateManyInput {
  return { desiredState: 'running', hostId: null, ...NO_CONTAINER, actualState: 'pending', reason: null };
}

/** Woken from sleep on the host it slept on: not healthy until its agent has probed it since the wake. */
export function wokenInPlace(): Prisma.InstanceUncheckedUpdateManyInput {
  return { desiredState: 'running', healthy: false, reason: null };
}

/** Its container exited, was killed or stopped answering: the agent restarts it after `reason`'s delay. */
export function markCrashed(state: 'crashed' | 'failed', reason: string): Prisma.InstanceUncheckedUpdateManyInput {
  return { actualState: state, ...NO_CONTAINER, restartCount: { increment: 1 }, reason };
}

/** Its container could not be created or started: nothing runs, it is tried again after a backoff. */
export function failedToStart(reason: string): Prisma.InstanceUncheckedUpdateManyInput {
  return { actualState: 'failed', ...NO_CONTAINER, reason };
}
