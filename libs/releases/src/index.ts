export * from './formation/formation';
export * from './notifications';
export * from './releases.module';
export * from './releases/release-events';
export * from './releases/releases.service';
export * from './rollouts/deploy-follower';
export * from './rollouts/rollout.producer';
export * from './routes';
