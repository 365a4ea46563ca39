// Read by the Prisma CLI (generate). Migrations run through scripts/db-migrate.mjs, which
// uses Prisma's WebAssembly schema engine, so no native engine is ever downloaded.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
