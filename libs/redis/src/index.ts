export * from './redis.module';
export * from './redis.service';
export * from './redis-outage';
export * from './window-counters';
