import { Module } from '@nestjs/common';
import { Notifier } from '@berth/contracts';
import { RouteChanges } from './route-changes';

/** Route change notifications, shared by the API (domains, deletions) and the routers. */
@Module({ providers: [RouteChanges, Notifier], exports: [RouteChanges] })
export class RoutesModule {}
