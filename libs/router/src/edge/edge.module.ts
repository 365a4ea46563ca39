import { Module } from '@nestjs/common';
import { AppsModule } from '@berth/tenant-apps';
import { LogStoreModule } from '@berth/logs';
import { MetricStoreModule } from '@berth/metrics';
import { WakeModule } from '@berth/sleep';
import { PreviewSweeper } from '../lifecycle/preview-sweeper';
import { AddressResolver, RouteTableService } from '../routes/route-table.service';
import { RoutesModule } from '../routes/routes.module';
import { AccessLog } from './access-log.service';
import { ForwardedRequests } from './forwarded-requests';
import { EdgeRouter } from './edge-router.service';
import { HaproxyProcess } from './haproxy.process';
import { RequestActivity } from './request-activity';
import { StatusServer } from './status-server';

/** The router role: HAProxy driven from the route table, status pages, access lines and request metrics, the preview sweeper. */
@Module({
  imports: [AppsModule, RoutesModule, WakeModule, LogStoreModule, MetricStoreModule],
  providers: [AccessLog, ForwardedRequests, EdgeRouter, HaproxyProcess, StatusServer, RouteTableService, AddressResolver, PreviewSweeper, RequestActivity],
  exports: [EdgeRouter, PreviewSweeper, RequestActivity],
})
export class EdgeModule {}
