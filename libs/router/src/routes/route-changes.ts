import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { APP_DELETED, AppDeletedEvent, ENVIRONMENT_DELETED, EnvironmentDeletedEvent } from '@berth/tenant-apps';
import { CHANNELS, Notifier } from '@berth/contracts';

/**
 * Tells every router that an environment's routes changed: its instances, its domains, or
 * the environment itself. Routers re-read that environment from the database; they also poll,
 * so a lost message only delays a change. The channel is @berth/contracts' CHANNELS.routes and
 * its one publisher Notifier.routesChanged; this adds the deletions and names the channel.
 */
@Injectable()
export class RouteChanges {
  constructor(private readonly notifier: Notifier) {}

  get channel(): string {
    return CHANNELS.routes(this.notifier.prefix);
  }

  async environmentChanged(environmentId: string): Promise<void> {
    await this.notifier.routesChanged(environmentId);
  }

  @OnEvent(ENVIRONMENT_DELETED, { async: true, promisify: true })
  async onEnvironmentDeleted(event: EnvironmentDeletedEvent): Promise<void> {
    await this.environmentChanged(event.environmentId);
  }

  @OnEvent(APP_DELETED, { async: true, promisify: true })
  async onAppDeleted(event: AppDeletedEvent): Promise<void> {
    await Promise.all(event.environmentIds.map((id) => this.environmentChanged(id)));
  }
}
