import { Command } from 'commander';
import { appName, client, optionsOf } from '../context';
import { BuildView, responseLines } from '../client';
import { CliError, json, table, when } from '../output';
import { withApp, withJson } from './common';

const buildsPath = (app: string) => `/api/apps/${encodeURIComponent(app)}/builds`;

export function register(program: Command): void {
  withJson(withApp(program.command('builds').description("an app's builds, newest first").option('-n, --num <n>', 'how many to show', '15'))).action(async (_: unknown, command: Command) => {
    const options = optionsOf(command) as ReturnType<typeof optionsOf> & { num: string };
    const app = appName(options);
    const query = new URLSearchParams({ limit: String(Math.max(1, Number(options.num) || 15)) });
    if (command.getOptionValueSource('env') === 'cli') query.set('environment', options.env ?? 'production');
    const builds = await client(options).get<BuildView[]>(`${buildsPath(app)}?${query}`);
    if (options.json) return json(builds);
    table(
      ['Id', 'Environment', 'Commit', 'Status', 'Started'],
      builds.map((b) => [b.id, b.environment, b.commitSha.slice(0, 7), b.failureReason ? `${b.status}: ${b.failureReason}` : b.status, when(b.createdAt)]),
      'No builds yet: git push starts one.',
    );
  });

  withJson(withApp(program.command('builds:output').description("a build's log (follows it while it runs)").argument('[id]', 'the build id (default: the newest)'))).action(
    async (id: string | undefined, _: unknown, command: Command) => {
      const options = optionsOf(command);
      const api = client(options);
      const app = appName(options);
      if (!id) {
        const [newest] = await api.get<BuildView[]>(`${buildsPath(app)}?limit=1`);
        if (!newest) throw new CliError('No builds yet: git push starts one.');
        id = newest.id;
      }
      if (options.json) return json(await api.get<BuildView>(`${buildsPath(app)}/${encodeURIComponent(id)}`));
      const response = await api.stream('GET', `${buildsPath(app)}/${encodeURIComponent(id)}/log`);
      let event = 'message';
      let end = null as { status?: string; failureReason?: string | null } | null;
      for await (const text of responseLines(response)) {
        if (text.startsWith('event:')) event = text.slice(6).trim();
        else if (text.startsWith('data:')) {
          const data = text.slice(5).replace(/^ /, '');
          if (event === 'end') end = JSON.parse(data) as typeof end;
          else process.stdout.write(`${data}\n`);
        } else if (text === '') event = 'message';
        if (end) break;
      }
      if (end && end.status === 'failed') throw new CliError(`The build failed${end.failureReason ? `: ${end.failureReason}` : ''}.`);
    },
  );
}
