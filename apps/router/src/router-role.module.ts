import { Module } from '@nestjs/common';
import { EdgeModule } from '@berth/router';

/** The router role: the edge that routes <app>.<domain> to instances, and the preview sweeper. */
@Module({ imports: [EdgeModule] })
export class RouterRoleModule {}
