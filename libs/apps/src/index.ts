export * from './app-access.service';
export * from './apps.module';
export * from './apps/apps.service';
export * from './branches';
export * from './config-vars/config-vars.service';
export * from './environments/environments.service';
export * from './events';
export * from './urls';
