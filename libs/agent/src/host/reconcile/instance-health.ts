import { Injectable } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { HealthFacts } from './decide';

/**
 * A liveness probe waits longer than the first (3 s): on a host whose CPU is contended an app
 * that answers slowly is not dead, and restarting it would turn slowness into an outage (seen
 * with a load average of 22). Three missed in a row restart it.
 */
export const LIVENESS_MISSES = 3;
export const LIVENESS_TIMEOUT_MS = 3000;

/** What the agent remembers about an instance between rounds (lost on restart, and that is fine). */
export interface InstanceTrack extends HealthFacts {
  containerId?: string;
  pid?: number;
  /** When its container started, for the health deadline. */
  startedAt: number;
  /** Crashes since it was last healthy: the restart backoff grows with them. */
  failures: number;
  missedProbes: number;
}

/** 1 s, 2 s, 4 s … after each crash since the instance was last healthy, up to `max`. */
export const backoffMs = (failures: number, max: number) => Math.min(1000 * 2 ** Math.max(0, failures - 1), max);

/**
 * Each instance's health and restart backoff on this host: which container runs it, when it
 * started, probes missed, crashes counted. Only state and its rules; the executor does the I/O
 * and tells it what happened.
 */
@Injectable()
export class InstanceHealth {
  private readonly tracked = new Map<string, InstanceTrack>();

  constructor(private readonly config: BerthConfig) {}

  get all(): ReadonlyMap<string, Readonly<InstanceTrack>> {
    return this.tracked;
  }

  get(id: string): Readonly<InstanceTrack> | undefined {
    return this.tracked.get(id);
  }

  private track(id: string): InstanceTrack {
    let t = this.tracked.get(id);
    if (!t) this.tracked.set(id, (t = { startedAt: 0, failures: 0, notBefore: 0, missedProbes: 0, lastProbeAt: 0 }));
    return t;
  }

  /** Its container started (created, woken or adopted): the health deadline counts from `startedAt`. */
  started(id: string, container: { id: string; pid: number }, startedAt: number): void {
    Object.assign(this.track(id), { containerId: container.id, pid: container.pid, startedAt, missedProbes: 0 });
  }

  /** It answered (or, not being web, runs): its crashes are forgiven. */
  healthy(id: string, probedAt?: number): void {
    const t = this.track(id);
    t.failures = 0;
    if (probedAt !== undefined) t.lastProbeAt = probedAt;
  }

  /** A woken instance answered while the round was elsewhere: forgiven unless forgotten meanwhile. */
  answeredIfTracked(id: string, probedAt: number): void {
    if (this.tracked.has(id)) this.healthy(id, probedAt);
  }

  /** Not healthy yet and past the deadline: give up on this container. */
  startupOverdue(id: string, now: number): boolean {
    return now - this.track(id).startedAt > this.config.agent.healthTimeoutMs;
  }

  /** A liveness probe sent at `probedAt`; true when it missed too often and must be restarted. */
  livenessProbed(id: string, answered: boolean, probedAt: number): boolean {
    const t = this.track(id);
    t.lastProbeAt = probedAt;
    if (answered) {
      t.missedProbes = 0;
      return false;
    }
    return ++t.missedProbes >= LIVENESS_MISSES;
  }

  /** It could not start: no container, try again after the backoff. Returns the delay. */
  failedToStart(id: string, now: number): number {
    const t = this.track(id);
    t.failures++;
    const delay = backoffMs(t.failures, this.config.agent.restartBackoffMaxMs);
    t.notBefore = now + delay;
    return delay;
  }

  /** Its container crashed or failed its probes and is being removed. Returns the backoff delay. */
  crashed(id: string, now: number): number {
    const delay = this.failedToStart(id, now);
    Object.assign(this.track(id), { containerId: undefined, pid: undefined, missedProbes: 0 });
    return delay;
  }

  /** Put to sleep: no process, nothing owed. */
  rest(id: string): void {
    const t = this.tracked.get(id);
    if (t) Object.assign(t, { pid: undefined, missedProbes: 0, failures: 0, notBefore: 0 });
  }

  forget(id: string): void {
    this.tracked.delete(id);
  }

  forgetExcept(ids: ReadonlySet<string>): void {
    for (const id of this.tracked.keys()) if (!ids.has(id)) this.tracked.delete(id);
  }

  /** Instances with a process, for usage sampling. */
  running(): { instanceId: string; containerId?: string; pid: number }[] {
    return [...this.tracked].flatMap(([instanceId, t]) => (t.pid ? [{ instanceId, containerId: t.containerId, pid: t.pid }] : []));
  }
}
