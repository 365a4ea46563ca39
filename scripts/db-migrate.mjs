#!/usr/bin/env node
// Applies and writes Prisma migrations with Prisma's WebAssembly schema engine, so no
// native engine is downloaded. The migrations stay in Prisma's own format: where the native
// engine is available, `prisma migrate deploy` applies the same folder unchanged.
//
//   node scripts/db-migrate.mjs deploy          apply pending migrations to DATABASE_URL
//                                               (from the environment, else .env as the platform reads it)
//   node scripts/db-migrate.mjs new <name>      write prisma/migrations/<ts>_<name> from
//                                               the changes to prisma/schema.prisma
//
// Each migration folder also keeps schema.prisma as it stood when the migration was written:
// `new` diffs against the newest one, so no database is needed to write a migration.
import { readFileSync, readdirSync, existsSync, mkdirSync, writeFileSync, statSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as bg from '@prisma/schema-engine-wasm/schema_engine_bg';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import { loadEnvFile } from './env.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const schemaPath = join(root, 'prisma', 'schema.prisma');
const migrationsDir = join(root, 'prisma', 'migrations');
const filters = { externalTables: [], externalEnums: [] };

function loadEngineModule() {
  const wasmPath = join(dirname(fileURLToPath(import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg'))), 'schema_engine_bg.wasm');
  const module = new WebAssembly.Module(readFileSync(wasmPath));
  const instance = new WebAssembly.Instance(module, { './schema_engine_bg.js': bg });
  bg.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start?.();
  return bg;
}

function migrationFolders() {
  if (!existsSync(migrationsDir)) return [];
  return readdirSync(migrationsDir)
    .filter((name) => statSync(join(migrationsDir, name)).isDirectory())
    .sort();
}

function migrationsList() {
  const lockPath = join(migrationsDir, 'migration_lock.toml');
  return {
    baseDir: migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: migrationFolders().map((name) => ({
      path: name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: readFileSync(join(migrationsDir, name, 'migration.sql'), 'utf8') } },
    })),
  };
}

async function engineFor(databaseUrl) {
  const { SchemaEngine } = loadEngineModule();
  const schema = readFileSync(schemaPath, 'utf8');
  const log = (line) => { if (process.env.BERTH_MIGRATE_DEBUG) console.error(line); };
  const factory = bindMigrationAwareSqlAdapterFactory(new PrismaPg({ connectionString: databaseUrl }));
  return SchemaEngine.new({ datamodels: [['schema.prisma', schema]] }, log, factory);
}

async function deploy() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set and .env does not have it: run npm run setup, or point DATABASE_URL at the PostgreSQL database to migrate.');
  const engine = await engineFor(url);
  const result = await engine.applyMigrations({ migrationsList: migrationsList(), filters });
  const applied = result.appliedMigrationNames ?? [];
  console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database is up to date');
}

async function create(name) {
  if (!name || !/^[a-z0-9_]+$/.test(name)) throw new Error('usage: npm run db:migration -- <name>  (lowercase letters, digits and _)');
  const schema = readFileSync(schemaPath, 'utf8');
  const previous = migrationFolders().at(-1);
  const from = previous
    ? { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: readFileSync(join(migrationsDir, previous, 'schema.prisma'), 'utf8') }] }
    : { tag: 'empty' };
  // The engine connects at start, but a diff between two datamodels reads no database.
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: the schema engine needs a PostgreSQL server to start (it reads nothing from it).');
  const engine = await engineFor(url);
  const result = await engine.diff({ from, to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: schema }] }, script: true, exitCode: null, filters });
  const sql = result.stdout ?? '';
  if (!sql.trim() || /^-- This is an empty migration\.?\s*$/.test(sql.trim())) {
    console.log('prisma/schema.prisma has no changes since the last migration; nothing written.');
    return;
  }
  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const dir = join(migrationsDir, `${stamp}_${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'migration.sql'), sql);
  writeFileSync(join(dir, 'schema.prisma'), schema);
  const lock = join(migrationsDir, 'migration_lock.toml');
  if (!existsSync(lock)) writeFileSync(lock, '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n');
  console.log(`wrote ${dir}/migration.sql`);
}

const [command, arg] = process.argv.slice(2);
try {
  loadEnvFile();
  if (command === 'deploy') await deploy();
  else if (command === 'new') await create(arg);
  else throw new Error('usage: db-migrate.mjs deploy | new <name>');
} catch (error) {
  console.error(`db-migrate: ${error?.message ?? error}`);
  process.exit(1);
}
