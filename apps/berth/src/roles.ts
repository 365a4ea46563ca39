import type { Type } from '@nestjs/common';
import type { Role } from '@berth/config';
import { AgentRoleModule } from '../../agent/src/agent-role.module';
import { ApiRoleModule } from '../../api/src/api-role.module';
import { BuilderRoleModule } from '../../builder/src/builder-role.module';
import { RouterRoleModule } from '../../router/src/router-role.module';
import { SchedulerRoleModule } from '../../scheduler/src/scheduler-role.module';

/** Which module each role loads. A process loads the modules of the roles it runs. */
export const ROLE_MODULES: Record<Role, Type> = {
  api: ApiRoleModule,
  builder: BuilderRoleModule,
  scheduler: SchedulerRoleModule,
  agent: AgentRoleModule,
  router: RouterRoleModule,
};
