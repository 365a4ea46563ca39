import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { APP_DELETED, AppDeletedEvent, ENVIRONMENT_DELETED, EnvironmentDeletedEvent } from '@berth/apps';
import { RedisService } from '@berth/redis';
import { CHANNELS } from '@berth/releases';

/**
 * Tells every router that an environment's routes changed: its instances, its domains, or
 * the environment itself. Routers re-read that environment from the database; they also poll,
 * so a lost message only delays a change. Channel `<BERTH_REDIS_PREFIX>:routes`, message: the
 * environment id.
 */
@Injectable()
export class RouteChanges {
  constructor(private readonly redis: RedisService) {}

  get channel(): string {
    return CHANNELS.routes(this.redis.key());
  }

  async environmentChanged(environmentId: string): Promise<void> {
    await this.redis.client.publish(this.channel, environmentId);
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
