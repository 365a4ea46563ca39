import { Module } from '@nestjs/common';
import { BuildWorkerModule } from '@berth/builds';

/** The builder role: turns pushed commits into images (BullMQ workers). */
@Module({
  imports: [BuildWorkerModule],
})
export class BuilderRoleModule {}
