import { Injectable, Logger } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { ContainerEngine } from './container-engine';
import { ENGINE_LABELS } from './labels';

/** Labels on every image Berth builds (besides berth.app, berth.env, berth.commit, berth.build). */
export const IMAGE_LABELS = {
  /** BERTH_INSTALL_ID of the install that built it (engines can be shared). */
  installation: ENGINE_LABELS.install,
  /** The id of its app: names can be reused after a delete, ids cannot. */
  appId: 'berth.app.id',
} as const;

const status = (error: unknown) => (error as { statusCode?: number }).statusCode;

/**
 * The images of apps that no longer exist, on this engine. Images are per engine (no registry),
 * so whoever runs on an engine prunes it: the agent on each host (and the builder, for a host
 * that only builds). Only images this installation labelled are touched; one that a container
 * still uses is left for the next round.
 */
@Injectable()
export class AppImages {
  private readonly logger = new Logger(AppImages.name);

  constructor(
    private readonly engine: ContainerEngine,
    private readonly config: BerthConfig,
  ) {}

  /**
   * Removes this installation's images whose app no longer exists; returns how many went.
   * `existing` answers which of the given app ids still exist. It is asked after the images
   * are listed, so an app made meanwhile (its first image just built) is never taken for gone.
   */
  async pruneDeletedApps(existing: (appIds: string[]) => Promise<ReadonlySet<string>>): Promise<number> {
    const images = await this.engine.api.listImages({ filters: JSON.stringify({ label: [`${IMAGE_LABELS.installation}=${this.config.installId}`] }) });
    const appIds = [...new Set(images.map((image) => image.Labels?.[IMAGE_LABELS.appId]).filter((id): id is string => Boolean(id)))];
    if (!appIds.length) return 0;
    const existingAppIds = await existing(appIds);
    let removed = 0;
    for (const image of images) {
      const appId = image.Labels?.[IMAGE_LABELS.appId];
      if (!appId || existingAppIds.has(appId)) continue;
      try {
        // By name first: an image with several tags cannot be removed by id without force,
        // and force would take it from under a running container.
        const names = (image.RepoTags ?? []).filter((tag) => tag && tag !== '<none>:<none>');
        for (const name of names) await this.engine.api.getImage(name).remove();
        if (!names.length) await this.engine.api.getImage(image.Id).remove();
        removed++;
      } catch (error) {
        if (status(error) === 404) continue;
        this.logger.debug(`image ${image.Id.slice(0, 19)} of deleted app ${appId} not removed yet: ${(error as Error).message}`);
      }
    }
    return removed;
  }
}
