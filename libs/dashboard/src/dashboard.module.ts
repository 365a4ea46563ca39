import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { DashboardMiddleware } from './dashboard.middleware';

/** The web dashboard (apps/dashboard, built into dist/dashboard), served by the api role at `/`. */
@Module({ providers: [DashboardMiddleware] })
export class DashboardModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(DashboardMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.GET }, { path: '{*path}', method: RequestMethod.HEAD });
  }
}
