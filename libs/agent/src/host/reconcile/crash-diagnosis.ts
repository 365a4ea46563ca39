import { Injectable } from '@nestjs/common';
import { ContainerRuntime } from '../container-runtime';
import { crashCause } from '../crash-cause';
import { KernelLog } from '../kernel-log';
import { Machine } from '../machine';
import { UsageSampler } from './usage-sampler';

/**
 * Why a container exited, in words for its owner. Podman does not report OOMKilled on cgroup
 * v1: the kernel log names the container, and its cgroup counts OOM kills while it runs (also of
 * a child whose parent then exits with 1); failing both, a SIGKILL while the host's OOM-kill
 * count rose since the last round.
 */
@Injectable()
export class CrashDiagnosis {
  private oomKillsSeen = 0;
  private oomKillsNow = 0;

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly kernelLog: KernelLog,
    private readonly machine: Machine,
    private readonly sampler: UsageSampler,
  ) {}

  /** The host's OOM-kill count when the agent starts. */
  async init(): Promise<void> {
    this.oomKillsSeen = this.oomKillsNow = await this.machine.oomKills();
  }

  /** Reads the host's OOM-kill count for this round's crashes; `endRound` makes it the one seen. */
  async beginRound(): Promise<void> {
    this.oomKillsNow = await this.machine.oomKills();
  }

  endRound(): void {
    this.oomKillsSeen = this.oomKillsNow;
  }

  /** `hostCountIsNews`: false for a container that exited as it was woken (the count was read before it started). */
  async why(memoryMb: number, containerId: string, hostCountIsNews = true): Promise<string> {
    const details = await this.runtime.inspect(containerId);
    return crashCause({
      exitCode: details?.exitCode ?? -1,
      memoryMb,
      kernelSawOomKill: this.kernelLog.sawOomKill(containerId),
      cgroupOomKills: this.sampler.oomKillsOf(containerId),
      hostOomKillsRose: hostCountIsNews && this.oomKillsNow > this.oomKillsSeen,
    });
  }
}
