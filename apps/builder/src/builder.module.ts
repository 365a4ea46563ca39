import { Module } from '@nestjs/common';

/** The builder role. (Its modules arrive with the issue that builds it.) */
@Module({})
export class BuilderModule {}
