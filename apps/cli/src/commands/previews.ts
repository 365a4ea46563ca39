import { Command } from 'commander';
import { UsageError } from '../args';
import { EnvironmentView } from '../client';
import { appName, client, confirm, optionsOf } from '../context';
import { json, line, table, when } from '../output';
import { withJson } from './common';

const appOption = (command: Command) => command.option('-a, --app <app>', 'the app (default: the one the "berth" git remote of this directory points at)');
const envsPath = (app: string) => `/api/apps/${encodeURIComponent(app)}/environments`;

export function register(program: Command): void {
  withJson(appOption(program.command('previews').description("an app's environments: production and a preview per branch").alias('environments'))).action(async (_: unknown, command: Command) => {
    const options = optionsOf(command);
    const envs = await client(options).get<EnvironmentView[]>(envsPath(appName(options)));
    if (options.json) return json(envs);
    table(['Environment', 'Kind', 'Branch', 'URL', 'Expires'], envs.map((e) => [e.name, e.kind, e.branch, e.url, e.expiresAt ? when(e.expiresAt) : 'never']));
  });

  appOption(
    program
      .command('previews:destroy')
      .description('delete a preview: stops its instances and drops its routes')
      .argument('<env>', "the preview's name (see berth previews)")
      .option('--confirm <env>', "the preview's name, to go ahead without a question"),
  ).action(async (env: string, _: unknown, command: Command) => {
    const options = optionsOf(command);
    const app = appName(options);
    await confirm(env, options.confirm, `deletes the preview ${env} of ${app} and`);
    await client(options).delete(`${envsPath(app)}/${encodeURIComponent(env)}`);
    line(`Deleted the preview ${env} of ${app}.`);
  });

  withJson(
    appOption(
      program
        .command('previews:ttl')
        .description("set how long a preview lives: it is removed this long from now")
        .argument('<env>', "the preview's name")
        .argument('<hours>', 'whole hours, or "never" to keep it until deleted'),
    ),
  ).action(async (env: string, hours: string, _: unknown, command: Command) => {
    const options = optionsOf(command);
    let ttlHours: number | null;
    if (hours === 'never' || hours === 'none') ttlHours = null;
    else if (/^\d+h?$/.test(hours)) ttlHours = Number(hours.replace(/h$/, ''));
    else throw new UsageError(`"${hours}" is not a number of hours. Write e.g. 72, or never`);
    const updated = await client(options).patch<EnvironmentView>(`${envsPath(appName(options))}/${encodeURIComponent(env)}`, { ttlHours });
    if (options.json) return json(updated);
    line(updated.expiresAt ? `${env} is removed at ${when(updated.expiresAt)}.` : `${env} is kept until deleted.`);
  });
}
