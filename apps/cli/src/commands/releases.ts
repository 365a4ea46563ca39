import { Command } from 'commander';
import { parseVersion } from '../args';
import { ReleaseView } from '../client';
import { client, envPath, optionsOf, waitForRelease } from '../context';
import { CliError, fields, json, line, note, table, when } from '../output';
import { withApp, withJson, withWait } from './common';
import { redeployNewest } from './ps';

export function register(program: Command): void {
  withJson(withApp(program.command('releases').description("an environment's releases, newest first").option('-n, --num <n>', 'how many to show', '15'))).action(async (_: unknown, command: Command) => {
    const options = optionsOf(command) as ReturnType<typeof optionsOf> & { num: string };
    const releases = (await client(options).get<ReleaseView[]>(`${envPath(options)}/releases`)).slice(0, Math.max(1, Number(options.num) || 15));
    if (options.json) return json(releases);
    table(
      ['Version', 'Status', 'Description', 'By', 'When'],
      releases.map((r) => [`v${r.version}${r.current ? ' *' : ''}`, r.status, r.failureReason ? `${r.description} (${r.failureReason})` : r.description, r.createdBy, when(r.createdAt)]),
      'No releases yet: git push makes the first.',
    );
  });

  withJson(withApp(program.command('releases:info').description('one release: image, formation, status').argument('[version]', 'v3 or 3 (default: the newest)'))).action(
    async (version: string | undefined, _: unknown, command: Command) => {
      const options = optionsOf(command);
      const releases = await client(options).get<ReleaseView[]>(`${envPath(options)}/releases`);
      const wanted = version === undefined ? releases[0]?.version : parseVersion(version);
      const release = releases.find((r) => r.version === wanted);
      if (!release) throw new CliError(version === undefined ? 'There is no release yet: git push makes the first.' : `There is no release v${wanted}. See berth releases.`);
      if (options.json) return json(release);
      fields([
        ['Version', `v${release.version}`],
        ['Status', `${release.status}${release.current ? ' (current)' : ''}`],
        ['Description', release.description],
        ['Failure', release.failureReason],
        ['Image', release.image?.digest],
        ['Commit', release.image?.commitSha],
        ['By', release.createdBy],
        ['When', when(release.createdAt)],
      ]);
      if (release.formation) {
        line();
        table(['Type', 'Instances', 'Memory', 'CPU'], Object.entries(release.formation).map(([type, f]) => [type, f.quantity, `${f.memoryMb} MB`, f.cpu]));
      }
    },
  );

  withWait(withJson(withApp(program.command('rollback').description('make a new release with the image and config of an earlier one').argument('[version]', 'v3 or 3 (default: the one before the current release)')))).action(
    async (version: string | undefined, _: unknown, command: Command) => {
      const options = optionsOf(command);
      const api = client(options);
      const path = envPath(options);
      let target: number;
      if (version !== undefined) {
        target = parseVersion(version);
      } else {
        const releases = await api.get<ReleaseView[]>(`${path}/releases`);
        const current = releases.find((r) => r.current) ?? releases[0];
        const previous = releases.find((r) => current && r.version < current.version && r.image);
        if (!previous) throw new CliError('There is no earlier release to roll back to. Name one with: berth rollback v<N>');
        target = previous.version;
      }
      const release = await api.post<ReleaseView>(`${path}/releases/v${target}/rollback`);
      note(`Rolling back to v${target}: v${release.version}.`);
      const done = options.wait ? await waitForRelease(api, path, release.version) : release;
      if (options.json) json(done);
    },
  );

  withWait(withJson(withApp(program.command('releases:redeploy').description('deploy the newest release again as a new release (a retry after a failed rollout)')))).action(
    async (_: unknown, command: Command) => {
      const options = optionsOf(command);
      const release = await redeployNewest(client(options), envPath(options), Boolean(options.wait));
      if (options.json) json(release);
    },
  );
}
