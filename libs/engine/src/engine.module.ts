import { Global, Module } from '@nestjs/common';
import { ContainerEngine } from './container-engine';

@Global()
@Module({ providers: [ContainerEngine], exports: [ContainerEngine] })
export class EngineModule {}
