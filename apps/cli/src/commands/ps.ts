import { Command } from 'commander';
import { parseResize, parseScale } from '../args';
import { BerthClient, EnvironmentStatusView, EnvironmentView, Formation, InstanceView, ReleaseView } from '../client';
import { client, envPath, newestVersion, optionsOf, waitForRelease } from '../context';
import { CliError, json, line, megabytes, note, table } from '../output';
import { withApp, withJson, withWait } from './common';

function formationRows(formation: Formation) {
  return Object.entries(formation)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, f]) => [type, f.quantity, `${f.memoryMb} MB`, f.cpu]);
}

/** PATCHes the formation, then follows the release it made. */
async function changeFormation(command: Command, patch: Record<string, Partial<Formation[string]>>): Promise<void> {
  const options = optionsOf(command);
  const api = client(options);
  const path = envPath(options);
  const before = await newestVersion(api, path);
  const formation = await api.patch<Formation>(`${path}/formation`, patch);
  const after = await newestVersion(api, path);
  if (options.json) json(formation);
  else table(['Type', 'Instances', 'Memory', 'CPU'], formationRows(formation));
  if (after === before) return note('Nothing changed.');
  if (options.wait) await waitForRelease(api, path, after);
  else note(`Made v${after}; rolling out.`);
}

export async function redeployNewest(api: BerthClient, path: string, wait: boolean): Promise<ReleaseView> {
  const releases = await api.get<ReleaseView[]>(`${path}/releases`);
  if (!releases.length) throw new CliError('There is no release yet: git push first.');
  const release = await api.post<ReleaseView>(`${path}/releases/v${releases[0].version}/redeploy`);
  note(`Redeploying v${releases[0].version} as v${release.version}.`);
  if (wait) return waitForRelease(api, path, release.version);
  return release;
}

/** The environment's status in the API's own words (the push and the 503 page say the same). */
export function statusLines(status: EnvironmentStatusView): string[] {
  const lines = [`Status: ${status.state.replace(/_/g, ' ')}: ${status.message}`];
  if (status.state !== 'running' && status.hint) lines.push(`  ${status.hint}`);
  if (status.latestPush) lines.push(`Latest push: ${status.latestPush.state.replace(/_/g, ' ')}: ${status.latestPush.message}`, `  ${status.latestPush.hint}`);
  return lines;
}

/** An instance restarting after a crash that has not answered since reads as crashed, as the status says. */
export function instanceState(i: Pick<InstanceView, 'actualState' | 'desiredState' | 'restartCount' | 'reason'>): string {
  const actual = i.actualState === 'starting' && i.restartCount > 0 && i.reason ? 'crashed' : i.actualState;
  return actual === i.desiredState || (actual === 'crashed' && i.desiredState === 'running') ? actual : `${actual} → ${i.desiredState}`;
}

export function register(program: Command): void {
  withJson(withApp(program.command('ps').description("an environment's instances: state, host, CPU and memory; and its formation"))).action(async (_: unknown, command: Command) => {
    const options = optionsOf(command);
    const api = client(options);
    const path = envPath(options);
    const [environment, instances, formation] = await Promise.all([
      api.get<EnvironmentView>(path),
      api.get<InstanceView[]>(`${path}/instances`),
      api.get<Formation>(`${path}/formation`).catch(() => ({}) as Formation),
    ]);
    if (options.json) return json({ status: environment.status ?? null, formation, instances });
    if (environment.status) statusLines(environment.status).forEach((text) => line(text));
    line();
    table(['Type', 'Instances', 'Memory', 'CPU'], formationRows(formation), 'No formation yet: git push first.');
    line();
    table(
      ['Instance', 'Release', 'State', 'Healthy', 'Host', 'CPU', 'Memory', 'Why'],
      instances.map((i) => [
        i.name,
        `v${i.release}`,
        instanceState(i),
        i.healthy ? 'yes' : 'no',
        i.host,
        i.cpu.percent === null ? '-' : `${i.cpu.percent.toFixed(1)}% of ${i.cpu.limit}`,
        `${megabytes(i.memory.usageBytes)} / ${megabytes(i.memory.limitBytes)}`,
        i.reason,
      ]),
      'No instances.',
    );
  });

  withWait(withJson(withApp(program.command('ps:scale').description('set how many instances of each process type run').argument('<pairs...>', 'TYPE=COUNT …, e.g. web=2 worker=1')))).action(
    async (pairs: string[], _: unknown, command: Command) => {
      const scale = parseScale(pairs);
      await changeFormation(command, Object.fromEntries(Object.entries(scale).map(([type, quantity]) => [type, { quantity }])));
    },
  );

  withWait(withJson(withApp(program.command('ps:resize').description("set each process type's memory (its CPU follows the formation's)").argument('<pairs...>', 'TYPE=SIZE …, e.g. web=512MB')))).action(
    async (pairs: string[], _: unknown, command: Command) => {
      const sizes = parseResize(pairs);
      await changeFormation(command, Object.fromEntries(Object.entries(sizes).map(([type, memoryMb]) => [type, { memoryMb }])));
    },
  );

  withWait(withJson(withApp(program.command('ps:restart').description('restart every instance: deploys the newest release again as a new release')))).action(async (_: unknown, command: Command) => {
    const options = optionsOf(command);
    const release = await redeployNewest(client(options), envPath(options), Boolean(options.wait));
    if (options.json) json(release);
  });
}
