import { Module } from '@nestjs/common';
import { RouteChanges } from './route-changes';

/** Route change notifications, shared by the API (domains, deletions) and the routers. */
@Module({ providers: [RouteChanges], exports: [RouteChanges] })
export class RoutesModule {}
