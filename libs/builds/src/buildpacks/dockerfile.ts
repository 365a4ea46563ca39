import { BuildFailure } from './build-failure';
import { BuildPlan, BuildSettings, CA_BUNDLE_PATH, ImageSubject } from './build-plan';
import { labelLine } from './containerfile';
import type { SourceTree } from './source-tree';

export const DOCKERFILE_NAMES = ['Dockerfile', 'Containerfile'];

/** The Dockerfile or Containerfile at the root, or null. */
export async function findDockerfile(tree: SourceTree): Promise<{ name: string; text: string } | null> {
  for (const name of DOCKERFILE_NAMES) {
    const text = await tree.read(name);
    if (text !== null) return { name, text };
  }
  return null;
}

/**
 * A Dockerfile built as given, with Berth's labels added after its last line (they apply to
 * the final stage). The configured CA bundle is put in the context at .berth/ca-bundle.crt
 * for Dockerfiles that want it (`COPY .berth/ca-bundle.crt ...`).
 */
export function planDockerfile(found: { name: string; text: string }, subject: ImageSubject, settings: BuildSettings, procfile: Record<string, string> | null): BuildPlan {
  const problem = cacheMountProblem(found.name, found.text);
  if (problem) throw new BuildFailure(problem);
  const processTypes = procfile ? { ...procfile } : { web: null };
  return {
    buildpack: 'dockerfile',
    detected: `${found.name} detected at the root: building it as given`,
    notes: [procfile ? `Process types from the Procfile: ${Object.keys(procfile).join(', ')}` : "web: the image's own ENTRYPOINT/CMD"],
    containerfile: `${found.text.replace(/\s*$/, '')}\n${labelLine(subject)}\n`,
    files: settings.caBundle ? { [CA_BUNDLE_PATH]: settings.caBundle } : {},
    processTypes,
  };
}

/**
 * Why a tenant's Dockerfile may not be built as given, or null. A `RUN --mount=type=cache`
 * directory lives on the build host, named by its id (or its target): a Dockerfile could name
 * another app's cache, share one with every app that uses the same target, or, with an id such
 * as "../../etc", mount a directory of the host itself. So a Dockerfile may use no cache mount,
 * nor a mount whose options come from a variable (which could make it one). Berth's buildpacks
 * keep caches per environment under ids no tenant can name.
 */
export function cacheMountProblem(name: string, text: string): string | null {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  for (const [index, line] of lines.entries()) {
    for (const match of line.matchAll(/--mount(?:=|\s+)(["']?)([^\s"']*)\1/gi)) {
      const options = match[2];
      if (/type\s*=\s*cache|\$/i.test(options) || !options) {
        return (
          `${name} line ${index + 1} uses "--mount=${options}": Berth does not build cache mounts from a Dockerfile, because their directories live on the shared build host. ` +
          'Remove the --mount option (Berth still reuses unchanged layers between builds), or let a Berth buildpack build the app (delete the Dockerfile) to get per-environment build caches.'
        );
      }
    }
  }
  return null;
}
