import { Module } from '@nestjs/common';
import { PlatformCounters } from './platform-counters';
import { PlatformMetrics } from './platform-metrics';
import { PrometheusController } from './prometheus.controller';

/** GET /metrics for operators (api role). */
@Module({ controllers: [PrometheusController], providers: [PlatformMetrics, PlatformCounters] })
export class PrometheusModule {}

/** The counters other roles add to (the scheduler's placement rounds). */
@Module({ providers: [PlatformCounters], exports: [PlatformCounters] })
export class PlatformCountersModule {}
