import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { CliPackageController } from './cli-package.controller';
import { DashboardMiddleware } from './dashboard.middleware';

/** The web dashboard (apps/dashboard, built into dist/dashboard), served by the api role at `/`; and the CLI's npm tarball at /cli/berth.tgz. */
@Module({ providers: [DashboardMiddleware], controllers: [CliPackageController] })
export class DashboardModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(DashboardMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.GET }, { path: '{*path}', method: RequestMethod.HEAD });
  }
}
