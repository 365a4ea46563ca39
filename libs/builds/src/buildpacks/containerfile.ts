import { IMAGE_LABELS } from '@berth/engine';
import { BuildSettings, CA_BUNDLE_PATH, ImageSubject } from './build-plan';

/** Where the CA bundle lives inside images; tools are pointed at it through the environment. */
export const IMAGE_CA_BUNDLE = '/etc/berth/ca-bundle.crt';

/**
 * Labels of every image. They come last in each Containerfile: the build id changes every
 * build, and an instruction that changes invalidates the cache of all that follow.
 */
export function labelLine(subject: ImageSubject): string {
  const labels = {
    'berth.app': subject.appName,
    'berth.env': subject.envName,
    'berth.commit': subject.commitSha,
    'berth.build': subject.buildId,
    // Who may remove it once its app is deleted (AppImages).
    [IMAGE_LABELS.appId]: subject.appId,
    [IMAGE_LABELS.installation]: subject.installId,
  };
  return `LABEL ${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`;
}

/**
 * Trust and registry settings for builds that download: the configured CA bundle (needed
 * behind a TLS-inspecting proxy) for Node.js, npm, curl and OpenSSL, and the npm registry.
 * They stay in the image, so the app trusts the same roots at run time.
 */
export function trustAndRegistry(settings: BuildSettings): { lines: string[]; files: Record<string, string> } {
  const lines: string[] = [];
  const files: Record<string, string> = {};
  const env: Record<string, string> = {
    npm_config_registry: settings.npmRegistry,
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
  if (settings.caBundle) {
    files[CA_BUNDLE_PATH] = settings.caBundle;
    lines.push(`COPY ${CA_BUNDLE_PATH} ${IMAGE_CA_BUNDLE}`);
    Object.assign(env, {
      NODE_EXTRA_CA_CERTS: IMAGE_CA_BUNDLE,
      npm_config_cafile: IMAGE_CA_BUNDLE,
      CURL_CA_BUNDLE: IMAGE_CA_BUNDLE,
      SSL_CERT_FILE: IMAGE_CA_BUNDLE,
    });
  }
  lines.push(`ENV ${Object.entries(env).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' \\\n    ')}`);
  return { lines, files };
}

/** The image's default command: the web process (or the first one) through the shell. */
export function cmdLine(command: string): string {
  return `CMD ${JSON.stringify(['/bin/sh', '-c', command])}`;
}

/** A single-quoted shell word. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The unprivileged user of the stack image that apps build and run as, and their directory. */
export const APP_USER = 'app';
/** The stack image's uid and gid of APP_USER: cache mounts are given to it. */
export const APP_UID = 1000;
export const APP_DIR = '/app';
export const appDirLines = [`RUN mkdir -p ${APP_DIR} && chown ${APP_USER}:${APP_USER} ${APP_DIR}`, `WORKDIR ${APP_DIR}`, `USER ${APP_USER}`];

/**
 * A `RUN --mount=type=cache` option: a directory the engine keeps between builds of the same
 * environment (its id is the environment's secret-keyed cache key and a name), owned by the app
 * user. The target's parent directories must exist already, or the engine makes them root's.
 */
export function cacheMount(cacheKey: string, name: string, target: string): string {
  return `--mount=type=cache,id=${cacheKey}-${name},target=${target},uid=${APP_UID},gid=${APP_UID}`;
}
