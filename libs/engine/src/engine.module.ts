import { Global, Module } from '@nestjs/common';
import { AppImages } from './app-images';
import { ContainerEngine } from './container-engine';

@Global()
@Module({ providers: [ContainerEngine, AppImages], exports: [ContainerEngine, AppImages] })
export class EngineModule {}
