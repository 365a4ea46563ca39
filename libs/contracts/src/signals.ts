import { Injectable, Logger } from '@nestjs/common';
import { RedisService } from '@berth/redis';

/** Held (with a TTL) by the scheduler that runs rounds; no key means no scheduler is running. */
export const SCHEDULER_LEASE = (prefix: string) => `${prefix}:scheduler:leader`;

/**
 * Redis pub/sub channels that wake other processes. They only say "look again": the state
 * itself is in the database, so a lost message costs a poll interval, never correctness.
 *
 * - routes: the environment id (plain text) whenever the set of routable instances of an
 *   environment changes (see routableInstances), or its domains, or the environment itself
 *   was deleted. The router re-reads that environment.
 * - placements: `{ hostIds }` when instances were placed on, moved off or told to stop on
 *   those hosts (`"*"` for every host). Agents reconcile at once. `woken`: instances a wake
 *   told to run again where their containers are kept; their agent thaws or starts those at
 *   once, without waiting for a round (someone's request waits on each).
 * - scheduler: anything; the scheduler runs a round at once.
 *
 * Notifier is the one publisher of all three (the router's RouteChanges publishes through it).
 */
export const CHANNELS = {
  routes: (prefix: string) => `${prefix}:routes`,
  placements: (prefix: string) => `${prefix}:placements`,
  scheduler: (prefix: string) => `${prefix}:scheduler`,
};

export interface PlacementsChangedMessage {
  hostIds: string[] | '*';
  woken?: string[];
}

@Injectable()
export class Notifier {
  private readonly logger = new Logger(Notifier.name);

  constructor(private readonly redis: RedisService) {}

  get prefix(): string {
    return this.redis.key();
  }

  async routesChanged(...environmentIds: string[]): Promise<void> {
    for (const environmentId of new Set(environmentIds)) {
      await this.publish(CHANNELS.routes(this.prefix), environmentId);
    }
  }

  async placementsChanged(hostIds: Iterable<string> | '*', woken: readonly string[] = []): Promise<void> {
    const ids = hostIds === '*' ? '*' : [...new Set(hostIds)].filter(Boolean);
    if (ids !== '*' && ids.length === 0) return;
    const message: PlacementsChangedMessage = woken.length ? { hostIds: ids, woken: [...woken] } : { hostIds: ids };
    await this.publish(CHANNELS.placements(this.prefix), JSON.stringify(message));
  }

  async wakeScheduler(): Promise<void> {
    await this.publish(CHANNELS.scheduler(this.prefix), '{}');
  }

  private async publish(channel: string, message: string): Promise<void> {
    if (this.redis.client.status === 'end') return; // shutting down
    try {
      await this.redis.client.publish(channel, message);
    } catch (error) {
      // Losing a wake-up only delays the next poll; the state is in the database.
      this.logger.warn(`could not publish on ${channel}: ${(error as Error).message}`);
    }
  }
}
