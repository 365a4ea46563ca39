export * from './hosts/hosts.module';
export * from './hosts/hosts.service';
export * from './placement/placement.service';
export * from './rollouts/rollout.service';
export * from './scheduler.loop';
export * from './scheduling.module';
