import { Module } from '@nestjs/common';
import { AppsModule } from '@berth/apps';
import { LogStoreModule } from '@berth/logs';
import { MetricStoreModule } from '@berth/metrics';
import { PreviewSweeper } from '../lifecycle/preview-sweeper';
import { AddressResolver, RouteTableService } from '../routes/route-table.service';
import { RoutesModule } from '../routes/routes.module';
import { AccessLog } from './access-log.service';
import { EdgeRouter } from './edge-router.service';
import { HaproxyProcess } from './haproxy.process';
import { StatusServer } from './status-server';

/** The router role: HAProxy driven from the route table, status pages, access lines and request metrics, the preview sweeper. */
@Module({
  imports: [AppsModule, RoutesModule, LogStoreModule, MetricStoreModule],
  providers: [AccessLog, EdgeRouter, HaproxyProcess, StatusServer, RouteTableService, AddressResolver, PreviewSweeper],
  exports: [EdgeRouter, PreviewSweeper],
})
export class EdgeModule {}
