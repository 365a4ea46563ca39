import { Injectable, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { BerthConfig } from '@berth/config';
import { RedisOutage } from './redis-outage';

/**
 * Redis connections of a process. `client` serves commands and publishing; `subscriber()`
 * opens a connection for pub/sub, which Redis dedicates to subscribing. Keys and channels go
 * through `key()` so installs (and test runs) sharing a server never collide.
 */
@Injectable()
export class RedisService implements OnModuleDestroy {
  readonly client: Redis;
  private readonly extra = new Set<Redis>();

  constructor(private readonly config: BerthConfig) {
    this.client = this.connect();
  }

  key(...parts: string[]): string {
    return [this.config.redis.prefix, ...parts].join(':');
  }

  connect(): Redis {
    const connection = RedisOutage.watch(new Redis(this.config.redis.url, { maxRetriesPerRequest: null, lazyConnect: false }));
    connection.on('ready', () => RedisOutage.recovered());
    return connection;
  }

  /** A dedicated connection for SUBSCRIBE; closed with the service, or earlier by the caller. */
  subscriber(): Redis {
    const connection = this.connect();
    this.extra.add(connection);
    connection.once('end', () => this.extra.delete(connection));
    return connection;
  }

  async onModuleDestroy(): Promise<void> {
    // quit() waits for a server that may never answer; a connection that is not ready just closes.
    await Promise.allSettled([this.client, ...this.extra].map((c) => (c.status === 'ready' ? c.quit() : c.disconnect())));
  }
}

export { redisProblem } from './redis-outage';
