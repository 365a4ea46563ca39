import { Logger } from '@nestjs/common';

interface ErrorEmitter {
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * One line when this process loses Redis and one when it is back, however many connections
 * (Berth's own, BullMQ's queues and workers) notice. Without listeners ioredis and BullMQ
 * print every failed reconnection of every connection: about forty lines a second.
 */
export class RedisOutage {
  private static readonly logger = new Logger('Redis');
  private static downSince: number | null = null;

  /** Routes an emitter's errors here (an emitter without an error listener prints them all). */
  static watch<T extends ErrorEmitter>(emitter: T): T {
    emitter.on('error', (error) => RedisOutage.failed(error));
    return emitter;
  }

  static failed(error: Error): void {
    if (RedisOutage.downSince !== null) return;
    RedisOutage.downSince = Date.now();
    RedisOutage.logger.warn(`${redisProblem(error)} Berth keeps retrying; builds, deploys and queued work wait until it is back.`);
  }

  /** A connection became ready: ends the outage, if there was one. */
  static recovered(): void {
    if (RedisOutage.downSince === null) return;
    const seconds = Math.round((Date.now() - RedisOutage.downSince) / 1000);
    RedisOutage.downSince = null;
    RedisOutage.logger.log(`Redis is reachable again after ${seconds} s.`);
  }

  static get isDown(): boolean {
    return RedisOutage.downSince !== null;
  }
}

/** What a Redis connection error means for whoever runs Berth, and what to do. */
export function redisProblem(error: Error): string {
  if (/NOAUTH|WRONGPASS|invalid password|without any password configured/i.test(error.message)) {
    return `Redis refused Berth's password (${error.message.split(/[.,]/)[0]}): REDIS_URL must carry the password Redis asks for, as in redis://:PASSWORD@127.0.0.1:6379. npm run setup writes this machine's into .env.`;
  }
  return `cannot reach Redis: ${error.message}. Is it running at the address in REDIS_URL? npm run setup starts it.`;
}
