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
    RedisOutage.logger.warn(`Redis cannot be reached (${error.message}); Berth keeps retrying. Builds, deploys and queued work wait until it is back.`);
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
