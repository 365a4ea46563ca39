export * from './git.module';
export * from './hooks/hook-server';
export * from './push/branch-environments';
export * from './repos/git-repos';
