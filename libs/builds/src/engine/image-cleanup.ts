import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { APP_DELETED, AppDeletedEvent } from '@berth/apps';
import { ContainerEngine } from '@berth/engine';

/** Removes an app's images from this host's engine when the app is deleted (their rows go with the app). */
@Injectable()
export class ImageCleanup {
  private readonly logger = new Logger('ImageCleanup');

  constructor(private readonly engine: ContainerEngine) {}

  @OnEvent(APP_DELETED)
  async onAppDeleted(event: AppDeletedEvent): Promise<void> {
    try {
      const images = await this.engine.api.listImages({ filters: JSON.stringify({ label: [`berth.app=${event.appName}`] }) });
      for (const image of images) await this.engine.api.getImage(image.Id).remove({ force: true }).catch(() => undefined);
    } catch (error) {
      this.logger.warn(`could not remove the images of ${event.appName}: ${(error as Error).message}`);
    }
  }
}
