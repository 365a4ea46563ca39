import { Module } from '@nestjs/common';
import { Buildpacks } from './buildpacks/buildpacks.service';
import { BuildsModule } from './builds.module';
import { BuildCgroups } from './image-build/build-cgroups';
import { BuildDiskGuard } from './image-build/build-disk-guard';
import { BuildCaches } from './image-build/build-cache';
import { BuildFirewall } from './image-build/build-firewall';
import { BuildNetwork } from './image-build/build-network';
import { ImageBuilder } from './image-build/image-builder';
import { StackImage } from './image-build/stack-image';
import { BuildSweeper } from './queue/build-sweeper';
import { BuildsProcessor } from './queue/builds.processor';
import { NpmRegistry } from './registry/npm-registry';
import { RegistryNodeRuntimes } from './registry/node-runtimes';

/** The builder role: runs build jobs, turning pushed commits into images. */
@Module({
  imports: [BuildsModule],
  providers: [BuildsProcessor, BuildSweeper, Buildpacks, RegistryNodeRuntimes, NpmRegistry, ImageBuilder, BuildCgroups, BuildDiskGuard, BuildNetwork, BuildFirewall, StackImage, BuildCaches],
})
export class BuildWorkerModule {}
