export * from './catalogue';
export * from './catalogue-worker';
export * from './queue.module';
