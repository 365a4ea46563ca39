export * from './one-off.module';
export * from './release-phase-container';
