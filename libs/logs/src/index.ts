export * from './limits';
export * from './log-line';
export * from './log-query';
export * from './log-retention';
export * from './log-store';
export * from './log-store.module';
export * from './log-writer';
export * from './logs.module';
