import { DynamicModule, Global, Module } from '@nestjs/common';
import { BerthConfig } from './berth-config';
import { BerthConfigShape, loadConfig } from './config';

/** Provides BerthConfig everywhere: validated once, at start. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: BerthConfigShape = loadConfig()): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: BerthConfig, useValue: Object.freeze(config) }], exports: [BerthConfig] };
  }
}
