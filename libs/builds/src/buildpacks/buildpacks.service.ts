import { Injectable } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { BerthConfig } from '@berth/config';
import { RegistryNodeRuntimes } from '../registry/node-runtimes';
import { BuildPlan, BuildSettings, ImageSubject } from './build-plan';
import { detect } from './detect';
import type { SourceTree } from './source-tree';

/** Buildpack detection with this host's settings (stack image, CA bundle, npm registry). */
@Injectable()
export class Buildpacks {
  private readonly settings: BuildSettings;

  constructor(
    config: BerthConfig,
    private readonly runtimes: RegistryNodeRuntimes,
  ) {
    const { stackImage, caBundle, npmRegistry, pipIndexUrl, nodeVersion } = config.builds;
    this.settings = { stackImage, caBundle: caBundle ? readFileSync(caBundle, 'utf8') : null, npmRegistry, pipIndexUrl, nodeVersion };
  }

  plan(tree: SourceTree, subject: ImageSubject): Promise<BuildPlan> {
    return detect(tree, subject, this.settings, this.runtimes);
  }
}
