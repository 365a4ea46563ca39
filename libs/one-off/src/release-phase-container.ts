import { Injectable, Logger, Module } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { requestsFor } from '@berth/placement';
import { ReleasePhaseEnd, ReleasePhaseRun, ReleasePhaseRunner } from '@berth/releases';
import { AppNetworks, Cgroups, ContainerRuntime, InstanceDisks, LABELS, containerSpec, diskTarget } from '@berth/agent';

/**
 * Runs a release phase as a one-off container of the release's image (like `berth run`): the
 * release's config, the limits it is given, the app's network, a disk of its own, removed when
 * it ends. Its name is derived from the release, so a leftover container of an attempt whose
 * process died is removed before another starts. It runs on the engine of the process that runs
 * rollouts (the scheduler role).
 */
@Injectable()
export class ReleasePhaseContainer extends ReleasePhaseRunner {
  private readonly logger = new Logger('ReleasePhase');

  constructor(
    private readonly config: BerthConfig,
    private readonly runtime: ContainerRuntime,
    private readonly networks: AppNetworks,
  ) {
    super();
  }

  async run(run: ReleasePhaseRun): Promise<ReleasePhaseEnd> {
    const name = `berth-release-${run.releaseId}`;
    await this.runtime.remove(name, 0).catch(() => undefined);
    const image = await this.runtime.imageFacts(run.image);
    const disk = { volume: `${name}-disk`, target: diskTarget(image.workingDir), sizeMb: run.size.diskMb };
    const spec = containerSpec({
      name,
      image: run.image,
      imageUser: image.user,
      command: run.command,
      env: run.env,
      labels: {
        [LABELS.app]: run.app.name,
        [LABELS.env]: run.environmentName,
        [LABELS.release]: `v${run.version}`,
        [LABELS.process]: 'release',
        [LABELS.oneOff]: `release-${run.releaseId}`,
        [LABELS.install]: this.config.installId,
      },
      limits: { memoryMb: run.size.memoryMb, cpuMillis: run.size.cpuMillis, pidsLimit: run.size.pidsLimit },
      cpuRequestMillis: requestsFor(run.size, { cpuMillis: null }, this.config.placement.requestRatios).cpuMillis,
      security: { defaultUser: this.config.agent.containerUser, ulimits: this.config.agent.ulimits },
      network: await this.networks.ensure(run.app),
      disk,
      logMaxMb: this.config.agent.logMaxMb,
    });
    const details = await this.runtime.run(spec, disk);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void this.runtime.kill(details.id);
    }, run.timeoutMs);
    try {
      const exitCode = await this.runtime.follow(details.id, (chunk) => run.output(chunk.toString('utf8')));
      return { exitCode, timedOut };
    } finally {
      clearTimeout(timer);
      await this.runtime.remove(details.id, 0).catch((error) => this.logger.warn(`could not remove release phase container ${details.id}: ${(error as Error).message}`));
    }
  }
}

/** The release phase's container runner, for the process that runs rollouts. */
@Module({
  providers: [Cgroups, ContainerRuntime, AppNetworks, InstanceDisks, { provide: ReleasePhaseRunner, useClass: ReleasePhaseContainer }],
  exports: [ReleasePhaseRunner],
})
export class ReleasePhaseModule {}
