import { BuildFailure } from './build-failure';
import { BuildPlan, BuildSettings, ImageSubject } from './build-plan';
import { findDockerfile, planDockerfile } from './dockerfile';
import { NodeRuntimes, planNodejs } from './nodejs';
import { parseProcfile } from './procfile';
import type { SourceTree } from './source-tree';
import { planStatic, staticRoot } from './static-site';

export const NOTHING_DETECTED = [
  'No buildpack matches this commit. Berth looked for, in this order:',
  '  - a Dockerfile or Containerfile at the root (built as given)',
  '  - a package.json at the root (Node.js)',
  '  - an index.html at the root or in public/ (static site)',
  'Add one of them and push again.',
].join('\n');

/**
 * Chooses a buildpack for a commit and plans its image. Order matters: a Dockerfile wins over
 * package.json (the app said how to build), and package.json over index.html (a Node app may
 * ship an index.html it builds from).
 */
export async function detect(tree: SourceTree, subject: ImageSubject, settings: BuildSettings, runtimes: NodeRuntimes): Promise<BuildPlan> {
  const procfileText = await tree.read('Procfile');
  let procfile: Record<string, string> | null = null;
  if (procfileText !== null) {
    const parsed = parseProcfile(procfileText);
    if (!parsed.ok) throw new BuildFailure(`Invalid Procfile: ${parsed.problem}`);
    procfile = parsed.types;
  }

  const dockerfile = await findDockerfile(tree);
  if (dockerfile) return planDockerfile(dockerfile, subject, settings, procfile);
  if (await tree.isFile('package.json')) return planNodejs(tree, subject, settings, runtimes, procfile);
  const root = await staticRoot(tree);
  if (root !== null) return planStatic(root, subject, settings, procfile);
  throw new BuildFailure(NOTHING_DETECTED);
}
