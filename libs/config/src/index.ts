export * from './berth-config';
export * from './config';
export * from './config.module';
export { ROLES, type Role } from './sections/core';
export type { RateLimit } from './sections/auth-limits';
