import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Principal } from '@berth/accounts';
import { MetricsService } from './metrics.service';

@ApiTags('metrics')
@ApiBearerAuth()
@Controller('api/apps/:app/environments/:env/metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /**
   * Requests (count, status classes, p50/p95/p99 response times, from the router) and each
   * instance's CPU, memory against its limit, restarts and OOM kills, over the last hour
   * (a point per minute), day (per 5 minutes) or week (per hour). Every request step is
   * present (zero counts and null percentiles when idle); an instance has points only for
   * steps in which it ran.
   */
  @Get()
  @ApiQuery({ name: 'period', required: false, enum: ['1h', '24h', '7d'], description: 'default 1h' })
  get(@CurrentUser() user: Principal, @Param('app') app: string, @Param('env') env: string, @Query('period') period?: unknown) {
    return this.metrics.metrics(user.userId, app, env, period);
  }
}
