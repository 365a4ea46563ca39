import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FullStack, startFullStack } from '../support/fullstack';
import { WorkingCopy } from '../support/git';
import { signUp, TestUser, unique } from '../support/users';

jest.setTimeout(180_000);

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'lib', 'main.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The berth command line as a user runs it: the compiled CLI as a child process with its own
 * HOME, config dir and global git config (never the real ~/.gitconfig), `berth` on the PATH
 * (for the git credential helper), against the whole platform running in this process.
 */
describe('the berth command line', () => {
  let stack: FullStack;
  let user: TestUser;
  let other: TestUser;
  let home: string;
  let copy: WorkingCopy;
  const app = unique('cli');

  beforeAll(async () => {
    // The CLI as the tests run it (dist/cli/lib), and its npm tarball as the api serves it.
    await promisify(execFile)(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'apps/cli/tsconfig.json'], { cwd: ROOT });
    await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'pack-cli.mjs')], { cwd: ROOT });
    home = mkdtempSync(join(tmpdir(), 'berth-cli-home-'));
    const bin = join(home, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'berth'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    chmodSync(join(bin, 'berth'), 0o755);
    writeFileSync(join(home, 'gitconfig'), '');
    // The user is also an operator (may manage hosts).
    const operator = `${unique('cli-op')}@example.com`;
    // This file tests no host loss: a stall of the shared test process must not mark its host
    // down (the suite's defaults do after 6 s without a heartbeat).
    stack = await startFullStack({ env: { BERTH_OPERATOR_EMAILS: operator, HOST_DOWN_AFTER_SECONDS: '30', HOST_LOST_AFTER_SECONDS: '120' } });
    const password = 'correct horse battery staple';
    const signup = await stack.platform.http().post('/api/auth/signup').send({ email: operator, password }).expect(201);
    user = { email: operator, password, token: signup.body.token, team: signup.body.team.name, auth: { Authorization: `Bearer ${signup.body.token}` } };
    other = await signUp(stack.platform, 'cli-other');
    copy = await WorkingCopy.fromFixture('static');
  });
  afterAll(async () => {
    copy?.remove();
    await stack?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  function env(): NodeJS.ProcessEnv {
    return {
      ...copy.env(),
      PATH: `${join(home, 'bin')}:${process.env.PATH}`,
      HOME: home,
      XDG_CONFIG_HOME: join(home, 'config'),
      GIT_CONFIG_GLOBAL: join(home, 'gitconfig'),
      GIT_CONFIG_NOSYSTEM: '1',
      BERTH_API_URL: stack.platform.url,
    };
  }

  function run(file: string, args: string[], input = '', cwd = copy.dir): Promise<Result> {
    return new Promise((resolve) => {
      const child = execFile(file, args, { cwd, env: env(), maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
      child.stdin?.on('error', () => undefined); // a command that never reads its input
      child.stdin?.end(input);
    });
  }
  const berth = (...args: string[]) => run(process.execPath, [CLI, ...args]);
  const berthWithInput = (input: string, ...args: string[]) => run(process.execPath, [CLI, ...args], input);
  const git = (...args: string[]) => run('git', args);
  async function ok(...args: string[]): Promise<string> {
    const result = await berth(...args);
    if (result.code !== 0) throw new Error(`berth ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
    return result.stdout;
  }
  const okJson = async <T>(...args: string[]) => JSON.parse(await ok(...args, '--json')) as T;

  it('refuses a wrong password in plain words, then logs in and sets up git for this Berth only', async () => {
    const wrong = await berthWithInput('not the password\n', 'login', '--email', user.email, '--password-stdin');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('The email or password is wrong');
    expect(wrong.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace

    const noTerminal = await berth('login');
    expect(noTerminal.code).toBe(2);

    const login = await berthWithInput(`${user.password}\n`, 'login', '--email', user.email, '--password-stdin');
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(user.email);
    const file = join(home, 'config', 'berth', 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ api: stack.platform.url, email: user.email });
    expect(readFileSync(join(home, 'gitconfig'), 'utf8')).toContain(`[credential "${stack.platform.url}"]`);
    expect((await okJson<{ email: string }>('whoami')).email).toBe(user.email);
  });

  it('says what is wrong with a usage mistake (exit 2) and an unknown app (exit 1)', async () => {
    expect((await berth('ps:scale', '-a', app)).code).toBe(2);
    expect((await berth('ps:scale', 'web=lots', '-a', app)).code).toBe(2);
    expect((await berth('no-such-command')).code).toBe(2);
    const outsideRepo = await run(process.execPath, [CLI, 'config'], '', home);
    expect(outsideRepo.code).toBe(2);
    expect(outsideRepo.stderr).toContain('Pass -a <app>');
    const unknown = await berth('apps:info', '-a', 'no-such-app-here');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^berth: .*no-such-app-here|^berth: .*[Nn]o such app/);
    const logs = await berth('logs', '-a', 'no-such-app-here');
    expect(logs.code).toBe(1);
    expect(logs.stderr).toMatch(/no-such-app-here|[Nn]o such app/);
    expect((await berth('logs', '-n', 'many', '-a', app)).code).toBe(2);
  });

  it('creates an app with a berth remote and pushes to it with no token in the URL', async () => {
    const created = await okJson<{ name: string; gitUrl: string }>('apps:create', app);
    expect(created.name).toBe(app);
    const remote = (await git('remote', 'get-url', 'berth')).stdout.trim();
    expect(remote).toBe(created.gitUrl);
    expect(remote).not.toContain('@');

    const push = await git('push', 'berth', 'main');
    expect(push.stderr).toContain('Deployed v1');
    expect(push.code).toBe(0);

    const apps = await okJson<{ name: string }[]>('apps');
    expect(apps.map((a) => a.name)).toContain(app);
    // No -a: the app comes from the berth remote of the working copy.
    expect(await ok('apps:info')).toContain(app);
    expect((await okJson<{ url: string }>('open')).url).toContain(app);
  });

  it('sets, reads and unsets config, each change rolling out', async () => {
    const set = await berth('config:set', 'GREETING=hello world', 'MODE=a=b');
    expect(set.code).toBe(0);
    expect(set.stderr).toMatch(/Deployed v2/);
    expect((await ok('config:get', 'GREETING')).trim()).toBe('hello world');
    expect(await okJson<Record<string, string>>('config')).toMatchObject({ GREETING: 'hello world', MODE: 'a=b' });
    expect((await berth('config:unset', 'MODE')).code).toBe(0);
    expect(await okJson<Record<string, string>>('config')).not.toHaveProperty('MODE');
    expect((await berth('config:set', 'NOEQUALS')).code).toBe(2);
  });

  it('scales and resizes, waiting for the rollout, and shows the instances', async () => {
    const scale = await berth('ps:scale', 'web=2', '--json');
    expect(scale.code).toBe(0);
    expect(JSON.parse(scale.stdout).web.quantity).toBe(2);
    expect(scale.stderr).toMatch(/Deployed v\d+: 2 web instances healthy/);
    const resize = await berth('ps:resize', 'web=192MB');
    expect(resize.code).toBe(0);
    const ps = await okJson<{ formation: Record<string, { quantity: number; memoryMb: number }>; instances: { release: number; healthy: boolean }[] }>('ps');
    expect(ps.formation.web).toMatchObject({ quantity: 2, memoryMb: 192 });
    expect(ps.instances.filter((i) => i.healthy).length).toBeGreaterThanOrEqual(2);
    const unknownType = await berth('ps:scale', 'worker=1');
    expect(unknownType.code).toBe(1);
    expect(unknownType.stderr).toMatch(/^berth: .*worker/);
  });

  it('lists releases, rolls back and restarts', async () => {
    const releases = await okJson<{ version: number; current: boolean; description: string }[]>('releases');
    const newest = releases[0].version;
    expect(releases.find((r) => r.current)?.version).toBe(newest);
    expect(await ok('releases:info', `v${newest}`)).toContain(`v${newest}`);

    const rollback = await berth('rollback', 'v1', '--json');
    expect(rollback.code).toBe(0);
    expect(JSON.parse(rollback.stdout)).toMatchObject({ version: newest + 1, current: true, description: 'Rollback to v1' });
    expect((await okJson<Record<string, string>>('config')).GREETING).toBeUndefined();

    expect((await berth('ps:restart')).stderr).toContain(`Deployed v${newest + 2}`);
    expect((await berth('rollback', 'v999')).code).toBe(1);
  });

  it("runs a one-off command, streaming its output and exiting with the command's code", async () => {
    const result = await berth('run', '--', 'sh', '-c', 'echo hi; echo oops >&2; exit 3');
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('hi\n');
    expect(result.stdout).not.toContain('[berth] exited');
    expect((await berth('run', 'true')).code).toBe(0);
  });

  it('shows builds and their output', async () => {
    const builds = await okJson<{ id: string; status: string }[]>('builds');
    expect(builds[0].status).toBe('succeeded');
    expect((await ok('builds:output')).length).toBeGreaterThan(0);
  });

  it("shows the environment's runtime log, filtered, as text and as JSON", async () => {
    const text = await ok('logs', '-n', '200', '--source', 'berth');
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z berth: /m);
    expect(text).not.toMatch(/ app\[/);
    const lines = await okJson<{ source: string; text: string }[]>('logs', '-n', '200');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((line) => line.source === 'berth' && /v\d+/.test(line.text))).toBe(true);
  });

  it('adds and removes custom domains', async () => {
    const hostname = `${app}.example.org`;
    expect((await okJson<{ hostname: string }>('domains:add', hostname)).hostname).toBe(hostname);
    expect((await okJson<{ hostname: string }[]>('domains')).map((d) => d.hostname)).toEqual([hostname]);
    expect((await berth('domains:remove', hostname)).code).toBe(0);
    expect(await okJson<unknown[]>('domains')).toEqual([]);
  });

  it('lists previews, sets their time to live and destroys them with a confirmation', async () => {
    const push = await git('push', 'berth', 'main:feature-one');
    expect(push.code).toBe(0);
    const previews = await okJson<{ name: string; kind: string }[]>('previews');
    expect(previews.map((e) => e.name)).toEqual(expect.arrayContaining(['production', 'feature-one']));
    expect((await okJson<{ expiresAt: string | null }>('previews:ttl', 'feature-one', '24')).expiresAt).not.toBeNull();
    expect((await berth('previews:destroy', 'feature-one')).code).toBe(2); // no terminal, no --confirm
    expect((await berth('previews:destroy', 'feature-one', '--confirm', 'other')).code).toBe(1);
    expect((await berth('previews:destroy', 'feature-one', '--confirm', 'feature-one')).code).toBe(0);
    expect((await okJson<{ name: string }[]>('previews')).map((e) => e.name)).toEqual(['production']);
  });

  it('creates, lists and revokes tokens', async () => {
    const token = await okJson<{ id: string; token: string }>('tokens:create', 'ci', '--scopes', 'read');
    expect(token.token).toMatch(/^berth_/);
    expect((await okJson<{ id: string }[]>('tokens')).map((t) => t.id)).toContain(token.id);
    expect((await berth('tokens:revoke', token.id)).code).toBe(0);
    expect((await okJson<{ id: string }[]>('tokens')).map((t) => t.id)).not.toContain(token.id);
  });

  it('manages teams and their members', async () => {
    const team = unique('crew');
    expect((await okJson<{ name: string }>('teams:create', team)).name).toBe(team);
    expect((await okJson<{ name: string; role: string }[]>('teams')).find((t) => t.name === team)?.role).toBe('owner');
    expect((await okJson<{ role: string }>('members:add', other.email, '-t', team)).role).toBe('member');
    expect((await okJson<{ role: string }>('members:set-role', other.email, 'viewer', '-t', team)).role).toBe('viewer');
    expect((await okJson<{ email: string }[]>('members', '-t', team)).map((m) => m.email)).toContain(other.email);
    expect((await berth('members:remove', other.email, '-t', team)).code).toBe(0);
    expect((await berth('members:add', other.email)).code).toBe(2); // no --team
  });

  it('lists, cordons and uncordons hosts for operators', async () => {
    const hosts = await okJson<{ name: string; cordoned: boolean }[]>('hosts');
    expect(hosts.map((h) => h.name)).toContain(stack.hostName);
    expect((await okJson<{ cordoned: boolean }>('hosts:cordon', stack.hostName)).cordoned).toBe(true);
    expect((await okJson<{ cordoned: boolean }>('hosts:uncordon', stack.hostName)).cordoned).toBe(false);
    expect((await berth('hosts:drain', stack.hostName)).code).toBe(2); // no terminal, no --confirm
  });

  it('installs from the tarball Berth serves, with npm install -g and no registry (an unreachable one)', async () => {
    const prefix = join(home, 'npm-prefix');
    const install = await run('npm', ['install', '--global', '--prefix', prefix, '--registry', 'http://127.0.0.1:9/', '--no-update-notifier', '--no-audit', '--no-fund', `${stack.platform.url}/cli/berth.tgz`], '', home);
    expect(install.stderr).not.toMatch(/ERR!/);
    expect(install.code).toBe(0);
    const installed = await run(join(prefix, 'bin', 'berth'), ['whoami', '--json'], '', home);
    expect(installed.code).toBe(0);
    expect(JSON.parse(installed.stdout).email).toBe(user.email);
  });

  it('destroys the app only with its name confirmed, logs out, and signs up anew', async () => {
    expect((await berth('apps:destroy')).code).toBe(2);
    expect((await berth('apps:destroy', '--confirm', app)).code).toBe(0);
    expect((await git('remote')).stdout).not.toContain('berth');
    expect((await berth('apps:info', '-a', app)).code).toBe(1);
    const loginToken = JSON.parse(readFileSync(join(home, 'config', 'berth', 'credentials.json'), 'utf8')).token as string;
    expect((await berth('logout')).code).toBe(0);
    await stack.platform.http().get('/api/auth/me').set({ Authorization: `Bearer ${loginToken}` }).expect(401); // revoked
    expect(readFileSync(join(home, 'gitconfig'), 'utf8')).not.toContain('berth git:credentials');
    const after = await berth('apps');
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('berth login');

    const email = `${unique('cli-new')}@example.com`;
    const signup = await berthWithInput('a long enough password\n', 'signup', '--email', email, '--password-stdin');
    expect(signup.code).toBe(0);
    expect((await okJson<{ email: string }>('whoami')).email).toBe(email);
  });
});
