import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { APP_DELETED, AppDeletedEvent } from '@berth/tenant-apps';
import { GitRepos } from './git-repos';

/** Removes an app's repository with the app. */
@Injectable()
export class RepositoryCleanup {
  private readonly logger = new Logger('GitRepos');

  constructor(private readonly repos: GitRepos) {}

  @OnEvent(APP_DELETED, { async: true, promisify: true })
  async onAppDeleted(event: AppDeletedEvent): Promise<void> {
    await this.repos.remove(event.appId).catch((error) => this.logger.error(`could not remove the repository of ${event.appName}: ${(error as Error).message}`));
  }
}
