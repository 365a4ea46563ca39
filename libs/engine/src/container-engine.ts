import { Injectable } from '@nestjs/common';
import Docker from 'dockerode';
import { BerthConfig } from '@berth/config';

/**
 * The container engine, reached through the Docker Engine API (Podman's socket here, a Docker
 * daemon elsewhere). Builders and agents use `api`; nothing else talks to the engine.
 */
@Injectable()
export class ContainerEngine {
  readonly api: Docker;
  readonly socketPath: string;

  constructor(config: BerthConfig) {
    this.socketPath = config.engine.socketPath;
    this.api = new Docker({ socketPath: this.socketPath });
  }

  /** Engine name and version, or throws with a message that says how to start the engine. */
  async version(): Promise<{ version: string; apiVersion: string }> {
    try {
      const v = await this.api.version();
      return { version: v.Version, apiVersion: v.ApiVersion };
    } catch (error) {
      throw new Error(
        `The container engine does not answer at ${this.socketPath}: ${(error as Error).message}. ` +
          'Run `npm run setup` (it starts the Podman API service) or set BERTH_ENGINE_SOCKET.',
      );
    }
  }
}
