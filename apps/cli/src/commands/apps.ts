import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { Command } from 'commander';
import { appFromGitUrl } from '../args';
import { AppView, EnvironmentView } from '../client';
import { appName, client, confirm, envPath, git, optionsOf } from '../context';
import { fields, json, line, note, table, when } from '../output';
import { withApp, withJson } from './common';

/** Points the `berth` remote (or `remote`) of the git repository here at `url`; false outside one. */
export function setRemote(url: string, remote = 'berth'): 'added' | 'updated' | 'unchanged' | false {
  if (git(['rev-parse', '--is-inside-work-tree']) !== 'true') return false;
  const now = git(['remote', 'get-url', remote]);
  if (now === url) return 'unchanged';
  if (now === null) return git(['remote', 'add', remote, url]) === null ? false : 'added';
  return git(['remote', 'set-url', remote, url]) === null ? false : 'updated';
}

export function register(program: Command): void {
  withJson(program.command('apps').description('the apps you can see').option('-t, --team <team>', "only this team's apps")).action(async (_: unknown, command: Command) => {
    const options = optionsOf(command) as ReturnType<typeof optionsOf> & { team?: string };
    let apps = await client(options).get<AppView[]>('/api/apps');
    if (options.team) apps = apps.filter((a) => a.team.name === options.team);
    if (options.json) return json(apps);
    table(['App', 'Team', 'URL'], apps.map((a) => [a.name, a.team.name, a.url]), 'No apps yet. Create one with: berth apps:create <name>');
  });

  withJson(
    program
      .command('apps:create')
      .description('create an app (and add the "berth" git remote when run inside a git repository)')
      .argument('[name]', 'a DNS label: 3–30 lowercase letters, digits and hyphens (default: a random one)')
      .option('-t, --team <team>', 'the team that owns it (default: your personal team)')
      .option('-r, --remote <remote>', 'the git remote to add', 'berth'),
  ).action(async (name: string | undefined, _: unknown, command: Command) => {
    const options = optionsOf(command) as ReturnType<typeof optionsOf> & { team?: string; remote: string };
    const app = await client(options).post<AppView>('/api/apps', { name: name ?? `app-${randomBytes(3).toString('hex')}`, ...(options.team ? { team: options.team } : {}) });
    const remote = setRemote(app.gitUrl, options.remote);
    if (options.json) return json(app);
    line(`Created ${app.name} (team ${app.team.name}): ${app.url}`);
    line(`Git: ${app.gitUrl}`);
    if (remote) note(`Git remote ${options.remote} ${remote}. Deploy with: git push ${options.remote} ${app.productionBranch}`);
  });

  withJson(withApp(program.command('apps:info').description("an app's team, URLs, git URL and environments"))).action(async (_: unknown, command: Command) => {
    const options = optionsOf(command);
    const app = await client(options).get<AppView>(`/api/apps/${encodeURIComponent(appName(options))}`);
    if (options.json) return json(app);
    fields([
      ['Name', app.name],
      ['Team', app.team.name],
      ['Your role', app.role],
      ['URL', app.url],
      ['Git URL', app.gitUrl],
      ['Production branch', app.productionBranch],
      ['Created', when(app.createdAt)],
    ]);
    line();
    table(['Environment', 'Kind', 'Branch', 'URL'], (app.environments ?? []).map((e) => [e.name, e.kind, e.branch, e.url]));
  });

  withApp(program.command('apps:destroy').description('delete an app with its environments, releases and instances').option('--confirm <app>', 'the app\'s name, to go ahead without a question')).action(
    async (_: unknown, command: Command) => {
      const options = optionsOf(command);
      const app = appName(options);
      await confirm(app, options.confirm, `deletes ${app} with all its environments, builds and releases, and`);
      await client(options).delete(`/api/apps/${encodeURIComponent(app)}`);
      const remote = git(['remote', 'get-url', 'berth']);
      if (remote && appFromGitUrl(remote) === app) git(['remote', 'remove', 'berth']);
      line(`Deleted ${app}.`);
    },
  );

  program
    .command('git:remote')
    .description('add (or point) a git remote of this repository at an app')
    .requiredOption('-a, --app <app>', 'the app')
    .option('-r, --remote <remote>', 'the remote\'s name', 'berth')
    .action(async (_: unknown, command: Command) => {
      const options = optionsOf(command) as ReturnType<typeof optionsOf> & { remote: string };
      const app = await client(options).get<AppView>(`/api/apps/${encodeURIComponent(appName(options))}`);
      const done = setRemote(app.gitUrl, options.remote);
      if (!done) throw new Error('This is not a git repository (or git is missing). Run it inside your app\'s repository, after git init.');
      line(`Git remote ${options.remote} ${done}: ${app.gitUrl}`);
    });

  withJson(withApp(program.command('open').description("print an environment's URL, and open it in a browser where one can be opened"))).action(async (_: unknown, command: Command) => {
    const options = optionsOf(command);
    const env = await client(options).get<EnvironmentView>(envPath(options));
    if (options.json) return json({ url: env.url });
    line(env.url);
    if (process.stdout.isTTY) {
      const child = spawn('xdg-open', [env.url], { stdio: 'ignore', detached: true });
      child.on('error', () => undefined);
      child.unref();
    }
  });
}
