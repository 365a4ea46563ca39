export * from './hosts/hosts.module';
export * from './hosts/hosts.service';
export * from './placer/instance-placer';
export * from './rollouts/rollout.service';
export * from './scheduler.loop';
export * from './scheduler.module';
