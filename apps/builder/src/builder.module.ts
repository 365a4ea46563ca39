import { Module } from '@nestjs/common';
import { ReleasesModule } from '@berth/releases';

/**
 * The builder role. ReleasesModule listens for 'build.succeeded' here, in the process that
 * runs the build, to release the image and report the rollout into the push.
 */
@Module({
  imports: [ReleasesModule],
})
export class BuilderModule {}
