import type { Type } from '@nestjs/common';
import type { Role } from '@berth/config';
import { AgentModule } from '../../agent/src/agent.module';
import { ApiModule } from '../../api/src/api.module';
import { BuilderModule } from '../../builder/src/builder.module';
import { RouterModule } from '../../router/src/router.module';
import { SchedulerModule } from '../../scheduler/src/scheduler.module';

/** Which module each role loads. A process loads the modules of the roles it runs. */
export const ROLE_MODULES: Record<Role, Type> = {
  api: ApiModule,
  builder: BuilderModule,
  scheduler: SchedulerModule,
  agent: AgentModule,
  router: RouterModule,
};
