import { Module } from '@nestjs/common';
import { AccountsModule } from '@berth/accounts';
import { AppsModule } from '@berth/tenant-apps';
import { BuildsModule } from '@berth/builds';
import { ReleasesModule } from '@berth/releases';
import { HookServer } from './hooks/hook-server';
import { GitAccess } from './http/git-access';
import { GitHttpController } from './http/git-http.controller';
import { BranchEnvironments } from './push/branch-environments';
import { DeployProgress } from './push/deploy-progress';
import { PushService } from './push/push.service';
import { GitRepos } from './repos/git-repos';
import { RepositoryCleanup } from './repos/repository-cleanup';

/**
 * `git push` to Berth: the smart-HTTP endpoint, the apps' bare repositories and what a push
 * deploys. A push builds (BuildsModule) and releases (ReleasesModule: BuildReleaser, DeployFollower).
 */
@Module({
  imports: [AccountsModule, AppsModule, BuildsModule, ReleasesModule],
  controllers: [GitHttpController],
  providers: [GitRepos, GitAccess, HookServer, PushService, DeployProgress, BranchEnvironments, RepositoryCleanup],
  exports: [GitRepos, BranchEnvironments],
})
export class GitModule {}
