export * from './core.module';
export * from './http';
