import { Injectable, Logger } from '@nestjs/common';
import { RedisService } from '@berth/redis';

/** The Redis hash of platform event counters (placement rounds …), shared by every process. */
export const PLATFORM_COUNTERS_KEY = 'metrics:platform';
/** The Redis hash of the router's request totals by status class. */
export const ROUTER_TOTALS_KEY = 'metrics:router-requests';

export type PlatformCounter = 'placement_rounds' | 'instances_placed' | 'instances_unplaced';

/**
 * Counters that several processes add to and the api reads for Prometheus: kept in Redis, so
 * they add up across roles and hosts and survive a restart of the process that counts (a
 * Prometheus counter may reset, but these need not). Adding never fails the caller.
 */
@Injectable()
export class PlatformCounters {
  private readonly logger = new Logger(PlatformCounters.name);

  constructor(private readonly redis: RedisService) {}

  add(counts: Partial<Record<PlatformCounter, number>>, key = PLATFORM_COUNTERS_KEY): Promise<void> {
    const multi = this.redis.client.multi();
    for (const [name, n] of Object.entries(counts)) if (n) multi.hincrby(this.redis.key(key), name, n);
    return multi.exec().then(
      () => undefined,
      (error) => this.logger.warn(`could not count ${Object.keys(counts).join(', ')}: ${(error as Error).message}`),
    );
  }

  async read(key = PLATFORM_COUNTERS_KEY): Promise<Record<string, number>> {
    const raw = await this.redis.client.hgetall(this.redis.key(key));
    return Object.fromEntries(Object.entries(raw).map(([name, value]) => [name, Number(value)]));
  }
}
