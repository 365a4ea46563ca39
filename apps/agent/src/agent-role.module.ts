import { Module } from '@nestjs/common';
import { HostAgentModule } from '@berth/agent';

/** The agent role: one per host; runs this host's containers. */
@Module({
  imports: [HostAgentModule],
})
export class AgentRoleModule {}
