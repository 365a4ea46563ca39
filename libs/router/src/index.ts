export * from './domains/domains.module';
export * from './domains/hostnames';
export * from './edge/edge-router.service';
export * from './edge/edge.module';
export * from './lifecycle/preview-sweeper';
export * from './routes/route-changes';
export * from './routes/route-table';
export * from './routes/routes.module';
