import { Command } from 'commander';
import { parseConfigPairs, UsageError } from '../args';
import { client, envPath, newestVersion, optionsOf, waitForRelease } from '../context';
import { json, line, note } from '../output';
import { withApp, withJson, withWait } from './common';

type Config = Record<string, string>;

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** PATCHes config and follows the release it makes (none before the first push). */
async function change(command: Command, patch: Record<string, string | null>, said: string): Promise<void> {
  const options = optionsOf(command);
  const api = client(options);
  const path = envPath(options);
  const before = await newestVersion(api, path);
  const config = await api.patch<Config>(`${path}/config`, patch);
  const after = await newestVersion(api, path);
  if (options.json) {
    json(config);
  } else {
    line(said);
  }
  if (after > before) {
    if (options.wait) await waitForRelease(api, path, after);
    else note(`Made v${after}; rolling out.`);
  } else if (!options.json) {
    note('No release yet: the config applies from the first git push.');
  }
}

export function register(program: Command): void {
  withJson(withApp(program.command('config').description("an environment's config vars").option('-s, --shell', 'print KEY=value lines for a shell'))).action(async (_: unknown, command: Command) => {
    const options = optionsOf(command) as ReturnType<typeof optionsOf> & { shell?: boolean };
    const config = await client(options).get<Config>(`${envPath(options)}/config`);
    if (options.json) return json(config);
    const keys = Object.keys(config).sort();
    if (!keys.length) return line(`No config vars. Set one with: berth config:set KEY=value`);
    const width = Math.max(...keys.map((k) => k.length));
    for (const key of keys) line(options.shell ? `${key}=${shellQuote(config[key])}` : `${`${key}:`.padEnd(width + 1)} ${config[key]}`);
  });

  withJson(withApp(program.command('config:get').description('one config var\'s value (empty when unset)').argument('<key>', 'the key'))).action(async (key: string, _: unknown, command: Command) => {
    const options = optionsOf(command);
    const config = await client(options).get<Config>(`${envPath(options)}/config`);
    if (options.json) return json({ [key]: config[key] ?? null });
    line(config[key] ?? '');
  });

  withWait(withJson(withApp(program.command('config:set').description('set config vars: a new release rolls out with them').argument('<pairs...>', 'KEY=value …')))).action(
    async (pairs: string[], _: unknown, command: Command) => {
      const patch = parseConfigPairs(pairs);
      await change(command, patch, `Set ${Object.keys(patch).join(', ')}.`);
    },
  );

  withWait(withJson(withApp(program.command('config:unset').description('unset config vars: a new release rolls out without them').argument('<keys...>', 'KEY …')))).action(
    async (keys: string[], _: unknown, command: Command) => {
      for (const key of keys) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new UsageError(`"${key}" is not a config key; name keys only, e.g. berth config:unset DEBUG`);
      await change(command, Object.fromEntries(keys.map((k) => [k, null])), `Unset ${keys.join(', ')}.`);
    },
  );
}
