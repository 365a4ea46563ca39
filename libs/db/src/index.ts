export * from './db.module';
export * from './prisma.service';
export * from './generated/client';
export type { Prisma as PrismaTypes } from './generated/client';
