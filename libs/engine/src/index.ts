export * from './app-images';
export * from './container-engine';
export * from './engine.module';
export * from './labels';
