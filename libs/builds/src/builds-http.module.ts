import { Module } from '@nestjs/common';
import { AppsModule } from '@berth/tenant-apps';
import { BuildsController } from './builds/builds.controller';
import { BuildsService } from './builds/builds.service';
import { BuildsModule } from './builds.module';

/** The builds API: GET /api/apps/:app/builds, one build with its log, the live log as SSE. */
@Module({
  imports: [AppsModule, BuildsModule],
  controllers: [BuildsController],
  providers: [BuildsService],
  exports: [BuildsService],
})
export class BuildsHttpModule {}
