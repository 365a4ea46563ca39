import { BuildPlan, BuildSettings, ImageSubject } from './build-plan';
import { APP_DIR, cmdLine, labelLine } from './containerfile';
import type { SourceTree } from './source-tree';

/** The document root of a static site, or null when the commit is not one. */
export async function staticRoot(tree: SourceTree): Promise<string | null> {
  if (await tree.isFile('index.html')) return '';
  if (await tree.isFile('public/index.html')) return 'public';
  return null;
}

/** Static site: files served by busybox httpd from the stack image, on $PORT. */
export function planStatic(root: string, subject: ImageSubject, settings: BuildSettings, procfile: Record<string, string> | null): BuildPlan {
  const docroot = root ? `${APP_DIR}/${root}` : APP_DIR;
  const server = `exec busybox httpd -f -v -p "\${PORT:-8080}" -h ${docroot}`;
  const processTypes = { web: server, ...(procfile ?? {}) };
  const lines = [
    `FROM ${settings.stackImage}`,
    `COPY --chown=app:app . ${APP_DIR}`,
    `WORKDIR ${APP_DIR}`,
    'USER app',
    labelLine(subject),
    cmdLine(processTypes.web),
  ];
  const notes = [procfile?.web ? `web: ${procfile.web} (Procfile)` : `web: busybox httpd serving ${root ? `${root}/` : 'the repository root'} on $PORT`];
  return {
    buildpack: 'static',
    detected: `Static site detected: ${root ? `${root}/index.html` : 'index.html at the root'}`,
    notes,
    containerfile: `${lines.join('\n')}\n`,
    files: {},
    processTypes,
  };
}
