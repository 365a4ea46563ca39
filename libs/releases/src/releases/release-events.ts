import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  APP_DELETED,
  AppDeletedEvent,
  ENVIRONMENT_DELETED,
  EnvironmentDeletedEvent,
} from '@berth/tenant-apps';
import { Notifier } from '@berth/contracts';

/** Reacts to other libraries: deletions stop containers. (Builds make releases through BuildReleaser, config changes through ConfigReleaser.) */
@Injectable()
export class ReleaseEvents {
  constructor(private readonly notifier: Notifier) {}

  /**
   * The environment's rows are gone (cascade), instances included: every agent now finds
   * containers nobody wants and removes them. (Routers hear of it from @berth/router's
   * RouteChanges, which listens to the same events.)
   */
  @OnEvent(ENVIRONMENT_DELETED)
  async onEnvironmentDeleted(_event: EnvironmentDeletedEvent): Promise<void> {
    await this.notifier.placementsChanged('*');
  }

  @OnEvent(APP_DELETED)
  async onAppDeleted(_event: AppDeletedEvent): Promise<void> {
    await this.notifier.placementsChanged('*');
  }
}
