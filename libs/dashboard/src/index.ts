export * from './dashboard.module';
export * from './dashboard-files';
export * from './cli-package.controller';
