import { Module } from '@nestjs/common';

/** The agent role. (Its modules arrive with the issue that builds it.) */
@Module({})
export class AgentModule {}
