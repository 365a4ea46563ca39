export * from './routes';
export * from './signals';
