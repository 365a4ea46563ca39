import { Controller, Get, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser, Principal } from '@berth/accounts';
import { BerthConfig } from '@berth/config';
import { forbidden } from '@berth/common';
import { PlatformMetrics } from './platform-metrics';

/** Operators only (BERTH_OPERATOR_EMAILS): the platform's health spans every team. */
@ApiTags('metrics')
@ApiBearerAuth()
@Controller('metrics')
export class PrometheusController {
  constructor(
    private readonly platform: PlatformMetrics,
    private readonly config: BerthConfig,
  ) {}

  /** Prometheus text format; scrape with an operator's read token (`authorization: Bearer …` in the scrape config). */
  @Get()
  @ApiProduces('text/plain')
  async get(@CurrentUser() user: Principal, @Res() res: Response): Promise<void> {
    if (!this.config.scheduler.operatorEmails.includes(user.email.toLowerCase())) {
      throw forbidden('operators_only', "The platform's metrics span every team and are for the operators of this Berth installation (BERTH_OPERATOR_EMAILS). Scrape /metrics with an operator's token.");
    }
    const text = await this.platform.metrics();
    res.setHeader('Content-Type', this.platform.registry.contentType);
    res.send(text);
  }
}
