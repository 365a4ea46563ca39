export * from './container-engine';
export * from './engine.module';
