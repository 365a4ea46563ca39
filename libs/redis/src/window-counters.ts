import { Injectable } from '@nestjs/common';
import { RedisService } from './redis.service';

export interface WindowCount {
  /** Hits in the current window, this one included. */
  count: number;
  /** Milliseconds until the window ends and the count starts again from zero. */
  resetInMs: number;
}

// One round trip, atomic: count the hit and start the window with the first one. A key whose
// expiry was lost (PTTL -1) gets one again rather than counting forever.
const HIT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

/**
 * Fixed-window counters in Redis, shared by every process of an install: the store behind
 * rate limits. A window starts at a key's first hit and lasts `windowMs`.
 */
@Injectable()
export class WindowCounters {
  constructor(private readonly redis: RedisService) {}

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const [count, ttl] = (await this.redis.client.eval(HIT, 1, this.redis.key('window', key), String(windowMs))) as [number, number];
    return { count, resetInMs: ttl };
  }

  async clear(key: string): Promise<void> {
    await this.redis.client.del(this.redis.key('window', key));
  }
}
