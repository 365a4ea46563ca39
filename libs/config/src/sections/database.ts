import { z } from 'zod';
import { env } from '../env';

export const databaseEnv = z.object({
  DATABASE_URL: env.url(['postgres', 'postgresql'], 'postgresql://berth@127.0.0.1:5432/berth'),
  DATABASE_POOL_SIZE: env.int(10, 1, 200),
});

export const mapDatabase = (e: z.infer<typeof databaseEnv>) => ({
  url: e.DATABASE_URL,
  poolSize: e.DATABASE_POOL_SIZE,
});
