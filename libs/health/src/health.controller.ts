import { Controller, Get, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '@berth/accounts';
import { PrismaService } from '@berth/db';
import { RedisService } from '@berth/redis';

type Check = { status: 'up' } | { status: 'down'; error: string };

async function check(probe: () => Promise<unknown>, timeoutMs = 2000): Promise<Check> {
  try {
    await Promise.race([probe(), new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref())]);
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', error: error instanceof Error ? error.message : String(error) };
  }
}

/** GET /healthz: 200 when PostgreSQL and Redis answer, 503 naming what does not. */
@ApiTags('health')
@Controller('healthz')
export class HealthController {
  constructor(
    private readonly db: PrismaService,
    private readonly redis: RedisService,
  ) {}

  @Public()
  @Get()
  async health(@Res({ passthrough: true }) response: Response) {
    const [database, redis] = await Promise.all([check(() => this.db.$queryRaw`SELECT 1`), check(() => this.redis.client.ping())]);
    const ok = database.status === 'up' && redis.status === 'up';
    response.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'degraded', database, redis };
  }
}
