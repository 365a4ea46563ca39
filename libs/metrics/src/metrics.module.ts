import { Module } from '@nestjs/common';
import { AppsModule } from '@berth/tenant-apps';
import { MetricRetention } from './metric-retention';
import { MetricStoreModule } from './metric-store.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { PrometheusModule } from './prometheus/prometheus.module';

/** The metrics API of environments and Prometheus' /metrics (api role), and the trim that keeps 7 days of minutes. */
@Module({
  imports: [AppsModule, MetricStoreModule, PrometheusModule],
  controllers: [MetricsController],
  providers: [MetricsService, MetricRetention],
  exports: [MetricStoreModule, MetricRetention],
})
export class MetricsModule {}
