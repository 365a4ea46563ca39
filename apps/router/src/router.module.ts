import { Module } from '@nestjs/common';

/** The router role. (Its modules arrive with the issue that builds it.) */
@Module({})
export class RouterModule {}
