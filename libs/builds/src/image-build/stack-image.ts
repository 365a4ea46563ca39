import { Injectable } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { BerthConfig } from '@berth/config';
import { ContainerEngine } from '@berth/engine';

const run = promisify(execFile);

/** scripts/stack-image.sh, found by walking up from this file (it sits at the repository root in source and in dist). */
function findScript(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'scripts', 'stack-image.sh');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('scripts/stack-image.sh not found above ' + __dirname);
}

/**
 * The base image every buildpack builds on (BUILD_STACK_IMAGE), made from Debian with
 * debootstrap since no registry can be reached. `npm run setup` builds it; when it is missing,
 * the first build makes it (about a minute) and later builds reuse it.
 */
@Injectable()
export class StackImage {
  private making: Promise<void> | null = null;

  constructor(
    private readonly engine: ContainerEngine,
    private readonly config: BerthConfig,
  ) {}

  get name(): string {
    return this.config.builds.stackImage;
  }

  async exists(): Promise<boolean> {
    try {
      await this.engine.api.getImage(this.name).inspect();
      return true;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return false;
      throw error;
    }
  }

  /** Makes the stack image if it is missing; `say` reports progress to the build log. */
  async ensure(say: (text: string) => void): Promise<void> {
    if (await this.exists()) return;
    say(`The base image ${this.name} is missing; building it from Debian (once per host, about a minute)`);
    this.making ??= run('bash', [findScript(), this.name], { maxBuffer: 16 * 1024 * 1024 })
      .then(() => undefined)
      .finally(() => (this.making = null));
    try {
      await this.making;
    } catch (error) {
      const output = (error as { stderr?: string }).stderr?.trim().split('\n').slice(-5).join('\n') ?? '';
      throw new Error(`could not build the base image ${this.name} (scripts/stack-image.sh): ${output || (error as Error).message}`);
    }
  }
}
