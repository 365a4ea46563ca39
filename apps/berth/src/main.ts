import 'reflect-metadata';
import { join } from 'node:path';
import { Supervisor } from '@berth/core';
import { bootstrap, configOrExit } from './bootstrap';

/**
 * `npm start`: the roles in BERTH_ROLES (all by default), supervised as child processes
 * (role-process.ts) that are started again when they die; with BERTH_SUPERVISE=false, in this
 * one process.
 */
async function main(): Promise<void> {
  const config = configOrExit();
  if (!config.supervise) {
    await bootstrap();
    return;
  }
  const groups = config.processes === 'per-role' ? config.roles.map((role) => ({ name: role, roles: [role] })) : [{ name: 'berth', roles: config.roles }];
  const supervisor = new Supervisor(groups, join(__dirname, 'role-process.js'), process.env);
  supervisor.start();
  process.exitCode = await supervisor.done;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
