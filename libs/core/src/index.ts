export * from './core.module';
export * from './http';
export * from './supervisor/restart-policy';
export * from './supervisor/supervisor';
