import { INestApplicationContext, LogLevel, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BerthConfigShape, ConfigError, loadConfig, Role } from '@berth/config';
import { configureHttpApp, CoreModule } from '@berth/core';
import { ROLE_MODULES } from './roles';

const LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

/** Builds the root module of a process from the roles it runs. */
export function rootModuleFor(config: BerthConfigShape, roles: Role[] = config.roles) {
  @Module({ imports: [CoreModule.forRoot(config), ...roles.map((role) => ROLE_MODULES[role])] })
  class BerthRootModule {}
  return BerthRootModule;
}

/** The validated configuration, or the process ends with every bad variable named (exit 78, EX_CONFIG). */
export function configOrExit(): BerthConfigShape {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78);
    }
    throw error;
  }
}

/**
 * Starts one process running the given roles (default: BERTH_ROLES). With the api role it
 * serves HTTP on PORT; other roles run their own servers or workers.
 */
export async function bootstrap(onlyRoles?: Role[]): Promise<INestApplicationContext> {
  const config = configOrExit();
  const roles = onlyRoles ?? config.roles;
  const logger = LEVELS.slice(0, LEVELS.indexOf(config.logLevel) + 1);
  const root = rootModuleFor(config, roles);
  const log = new Logger('Berth');

  if (roles.includes('api')) {
    const app = await NestFactory.create(root, { logger, bodyParser: false });
    configureHttpApp(app);
    await app.listen(config.api.port, config.api.host);
    log.log(`roles: ${roles.join(', ')}; API and git on ${config.api.publicUrl} (docs at ${config.api.publicUrl}/api/docs)`);
    return app;
  }
  const app = await NestFactory.createApplicationContext(root, { logger });
  app.enableShutdownHooks();
  await app.init();
  log.log(`roles: ${roles.join(', ')}`);
  return app;
}
