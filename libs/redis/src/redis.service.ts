import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { BerthConfig } from '@berth/config';

/**
 * Redis connections of a process. `client` serves commands and publishing; `subscriber()`
 * opens a connection for pub/sub, which Redis dedicates to subscribing. Keys and channels go
 * through `key()` so installs (and test runs) sharing a server never collide.
 */
@Injectable()
export class RedisService implements OnModuleDestroy {
  readonly client: Redis;
  private readonly extra = new Set<Redis>();
  private readonly logger = new Logger('Redis');
  private lastProblem = '';

  constructor(private readonly config: BerthConfig) {
    this.client = this.connect();
  }

  key(...parts: string[]): string {
    return [this.config.redis.prefix, ...parts].join(':');
  }

  connect(): Redis {
    const connection = new Redis(this.config.redis.url, { maxRetriesPerRequest: null, lazyConnect: false });
    // ioredis retries on its own; say once, in Berth's words, what is wrong, not at every retry.
    connection.on('error', (error: Error) => {
      const problem = redisProblem(error);
      if (problem !== this.lastProblem) this.logger.error((this.lastProblem = problem));
    });
    connection.on('ready', () => (this.lastProblem = ''));
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

/** What a Redis connection error means for whoever runs Berth, and what to do. */
export function redisProblem(error: Error): string {
  if (/NOAUTH|WRONGPASS|invalid password|without any password configured/i.test(error.message)) {
    return `Redis refused Berth's password (${error.message.split(/[.,]/)[0]}): REDIS_URL must carry the password Redis asks for, as in redis://:PASSWORD@127.0.0.1:6379. npm run setup writes this machine's into .env.`;
  }
  return `cannot reach Redis: ${error.message}. Is it running at the address in REDIS_URL? npm run setup starts it.`;
}
