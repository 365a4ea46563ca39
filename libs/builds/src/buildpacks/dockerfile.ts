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
