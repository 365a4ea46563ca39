import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Queue } from 'bullmq';
import { RedisOutage } from '@berth/redis';

/**
 * Gives every BullMQ queue of the process an error listener (a queue without one prints each
 * failed reconnection), reporting to RedisOutage: one line per outage. Queues registered by
 * several modules are separate objects, so they are found rather than listed. Workers report
 * through CatalogueWorker.
 */
@Injectable()
export class QueueErrorWatch implements OnModuleInit {
  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    const queues = new Set(this.discovery.getProviders().map((wrapper) => wrapper.instance as unknown).filter((instance): instance is Queue => instance instanceof Queue));
    for (const queue of queues) RedisOutage.watch(queue);
  }
}
