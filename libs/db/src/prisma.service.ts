import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { BerthConfig } from '@berth/config';
import { PrismaClient } from './generated/client';

/** The one PostgreSQL client of a process (Prisma over node-postgres). */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  constructor(config: BerthConfig) {
    super({ adapter: new PrismaPg({ connectionString: config.database.url, max: config.database.poolSize }) });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
