import { Module } from '@nestjs/common';
import { MetricStore } from './metric-store';
import { InstanceMetricsWriter, RequestMetricsWriter } from './metric-writers';

/** Writing minute metrics (the router's requests, the agent's instances): the store and batching writers. */
@Module({ providers: [MetricStore, RequestMetricsWriter, InstanceMetricsWriter], exports: [MetricStore, RequestMetricsWriter, InstanceMetricsWriter] })
export class MetricStoreModule {}
