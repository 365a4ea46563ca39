export * from './instance-state';
export * from './routes';
export * from './signals';
