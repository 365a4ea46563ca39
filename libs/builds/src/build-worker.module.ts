import { Module } from '@nestjs/common';
import { Buildpacks } from './buildpacks/buildpacks.service';
import { BuildsModule } from './builds.module';
import { BuildCgroups } from './engine/build-cgroups';
import { BuildDiskGuard } from './engine/build-disk-guard';
import { BuildCaches } from './engine/build-cache';
import { BuildFirewall } from './engine/build-firewall';
import { BuildNetwork } from './engine/build-network';
import { ImageBuilder } from './engine/image-builder';
import { StackImage } from './engine/stack-image';
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
