import { Injectable } from '@nestjs/common';
import { AppAccess } from '@berth/tenant-apps';
import { Clock } from '@berth/common';
import { MetricStore } from './metric-store';
import { buildSeries, MetricsAnswer, periodWindow } from './metrics-series';

/** An environment's request and instance metrics over a period, scoped to the caller's teams (another team's environment is a 404). */
@Injectable()
export class MetricsService {
  constructor(
    private readonly access: AppAccess,
    private readonly store: MetricStore,
    private readonly clock: Clock,
  ) {}

  async metrics(userId: string, appName: string, envName: string, period: unknown): Promise<MetricsAnswer> {
    const window = periodWindow(period, this.clock.now());
    const { environment } = await this.access.environment(userId, appName, envName, 'viewer');
    const [requests, instances] = await Promise.all([
      this.store.requests(environment.id, window.from, window.to),
      this.store.instances(environment.id, window.from, window.to),
    ]);
    return buildSeries(window, requests, instances);
  }
}
