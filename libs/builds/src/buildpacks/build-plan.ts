import type { ProcessTypes } from './procfile';

/** What an image is built for; becomes its labels. */
export interface ImageSubject {
  appName: string;
  appId: string;
  /** BERTH_INSTALL_ID: which install's image it is, on an engine several may share. */
  installId: string;
  envName: string;
  commitSha: string;
  buildId: string;
  /**
   * The environment's build cache key (BuildCaches.keyFor): cache mounts of a buildpack's steps
   * are named from it, so builds of one environment share them and nobody else can. Null or
   * absent: no build caches (BUILD_CACHE=false).
   */
  cacheKey?: string | null;
}

/** Host settings every generated Containerfile uses. */
export interface BuildSettings {
  stackImage: string;
  /** PEM text of the CA bundle builds trust, or null for the stack's own. */
  caBundle: string | null;
  npmRegistry: string;
  /** Python package index (PEP 503 simple URL) Python builds install from. */
  pipIndexUrl: string;
  /** Node.js range when package.json has none. */
  nodeVersion: string;
}

export type BuildpackName = 'dockerfile' | 'nodejs' | 'python' | 'static';

/** The outcome of detection: how to build this commit. */
export interface BuildPlan {
  buildpack: BuildpackName;
  /** Which buildpack and why, for the log: "Node.js app detected: package.json at the root". */
  detected: string;
  /** Further lines for the log: versions, package manager, start command. */
  notes: string[];
  /** The Containerfile the engine builds. */
  containerfile: string;
  /** Files added to the build context beside the source (paths under .berth/). */
  files: Record<string, string>;
  processTypes: ProcessTypes;
}

/** Where Berth's own files go in the build context. */
export const BERTH_DIR = '.berth';
export const CONTAINERFILE_PATH = `${BERTH_DIR}/Containerfile`;
export const CA_BUNDLE_PATH = `${BERTH_DIR}/ca-bundle.crt`;
