import { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createServer } from 'node:net';
import request from 'supertest';
import { BerthConfigShape, parseConfig, Role } from '@berth/config';
import { configureHttpApp } from '@berth/core';
import { rootModuleFor } from '../../apps/berth/src/bootstrap';

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Configuration for a test: the run's database and Redis prefix plus any overrides. */
export function testConfig(overrides: Record<string, string> = {}): BerthConfigShape {
  return parseConfig({ ...process.env, ...overrides });
}

export interface RunningPlatform {
  app: INestApplication;
  config: BerthConfigShape;
  /** Base URL of the API, e.g. http://127.0.0.1:41234 */
  url: string;
  http: () => ReturnType<typeof request>;
  close: () => Promise<void>;
}

/**
 * Starts the platform in this process with the given roles (api always), listening on a free
 * port, the same way `npm start` does. Close it in afterAll.
 */
export async function startPlatform(roles: Role[] = ['api'], overrides: Record<string, string> = {}): Promise<RunningPlatform> {
  const port = await freePort();
  const config = testConfig({ PORT: String(port), HOST: '127.0.0.1', BERTH_PUBLIC_URL: `http://127.0.0.1:${port}`, ...overrides });
  const withApi: Role[] = roles.includes('api') ? roles : ['api', ...roles];
  const app = await NestFactory.create(rootModuleFor(config, withApi), { logger: ['error', 'warn'], bodyParser: false });
  configureHttpApp(app);
  await app.listen(port, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  return { app, config, url, http: () => request(app.getHttpServer()), close: () => app.close() };
}

/** Starts roles without HTTP (agents, builders) as their own Nest context. */
export async function startRoles(roles: Role[], overrides: Record<string, string> = {}): Promise<INestApplicationContext> {
  const config = testConfig(overrides);
  const app = await NestFactory.createApplicationContext(rootModuleFor(config, roles), { logger: ['error', 'warn'] });
  await app.init();
  return app;
}
