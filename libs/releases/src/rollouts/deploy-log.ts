import { Injectable, Logger } from '@nestjs/common';

/**
 * Where deploy progress for a build goes ("Releasing v3…", "Deployed"). The build pipeline's
 * BuildLog prints these lines into the `git push`; until it is wired in (bind this class to it
 * with `{ provide: DeployLog, useExisting: BuildLog }`), they go to the process log.
 */
@Injectable()
export class DeployLog {
  private readonly logger = new Logger('Deploy');

  async append(buildId: string, text: string): Promise<void> {
    this.logger.log(`build ${buildId}: ${text.trimEnd()}`);
  }
}
