import { Injectable } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { SecretBox } from '@berth/common';
import { containerSpec, diskTarget, LABELS } from '../../container-spec';
import { AppNetworks } from '../app-networks';
import { ContainerDetails, ContainerRuntime } from '../container-runtime';
import { HostRegistration } from '../host-registration';
import { InstanceDisks } from '../instance-disks';
import type { WantedInstance } from './wanted';

/**
 * Creates and starts an instance's container: its spec (limits, labels, disk, network) and its
 * release's config, decrypted once per release while an instance of it runs here.
 */
@Injectable()
export class InstanceLauncher {
  private readonly configs = new Map<string, Record<string, string>>();

  constructor(
    private readonly config: BerthConfig,
    private readonly box: SecretBox,
    private readonly host: HostRegistration,
    private readonly runtime: ContainerRuntime,
    private readonly networks: AppNetworks,
    private readonly disks: InstanceDisks,
  ) {}

  async launch(row: WantedInstance): Promise<ContainerDetails> {
    const { release } = row;
    try {
      if (!release.image) throw new Error(`release v${release.version} has no image`);
      const name = `berth-${this.host.name}-${row.id}`;
      const image = await this.runtime.imageFacts(release.image.tag);
      const disk = { volume: this.disks.volumeFor(name), target: diskTarget(image.workingDir), sizeMb: row.diskMb };
      const spec = containerSpec({
        name,
        image: release.image.tag,
        imageUser: image.user,
        command: release.formation.find((line) => line.processType === row.processType)?.command ?? null,
        env: this.releaseConfig(release),
        labels: {
          [LABELS.app]: release.environment.app.name,
          [LABELS.env]: release.environment.name,
          [LABELS.release]: `v${release.version}`,
          [LABELS.process]: row.processType,
          [LABELS.instance]: row.id,
          [LABELS.host]: this.host.name,
          [LABELS.install]: this.config.installId,
        },
        limits: { memoryMb: row.memoryMb, cpuMillis: row.cpuMillis, pidsLimit: row.pidsLimit },
        cpuRequestMillis: row.cpuRequestMillis ?? row.cpuMillis,
        security: { defaultUser: this.config.agent.containerUser, ulimits: this.config.agent.ulimits },
        publishOn: row.processType === 'web' ? this.config.agent.publishAddress : undefined,
        network: await this.networks.ensure(release.environment.app),
        disk,
        logMaxMb: this.config.agent.logMaxMb,
      });
      return await this.runtime.run(spec, disk);
    } catch (error) {
      // Someone removed the app's network behind our back: make it again next time.
      if (/network/i.test(engineMessage(error))) this.networks.forget(this.networks.nameOf(release.environment.app.id));
      throw error;
    }
  }

  /** Forgets the config of releases no instance here runs any more. */
  forgetExcept(releaseIds: ReadonlySet<string>): void {
    for (const id of this.configs.keys()) if (!releaseIds.has(id)) this.configs.delete(id);
  }

  private releaseConfig(release: WantedInstance['release']): Record<string, string> {
    let config = this.configs.get(release.id);
    if (!config) {
      config = this.box.openJson<Record<string, string>>(release.configEncrypted);
      this.configs.set(release.id, config);
    }
    return config;
  }
}

/** What the engine said, or the error's own message. */
export const engineMessage = (error: unknown) => (error as { json?: { message?: string } }).json?.message ?? (error as Error).message;
