import { Command } from 'commander';
import { client, envPath, optionsOf } from '../context';
import { json, line, table, when } from '../output';
import { withApp, withJson } from './common';

interface Domain {
  hostname: string;
  url: string;
  createdAt: string;
}

export function register(program: Command): void {
  withJson(withApp(program.command('domains').description("an environment's custom domains"))).action(async (_: unknown, command: Command) => {
    const options = optionsOf(command);
    const domains = await client(options).get<Domain[]>(`${envPath(options)}/domains`);
    if (options.json) return json(domains);
    table(['Domain', 'URL', 'Added'], domains.map((d) => [d.hostname, d.url, when(d.createdAt)]), 'No custom domains. Add one with: berth domains:add <hostname>');
  });

  withJson(withApp(program.command('domains:add').description('serve the environment at a custom domain too').argument('<hostname>', 'e.g. www.example.com'))).action(
    async (hostname: string, _: unknown, command: Command) => {
      const options = optionsOf(command);
      const domain = await client(options).post<Domain>(`${envPath(options)}/domains`, { hostname });
      if (options.json) return json(domain);
      line(`Added ${domain.hostname}: ${domain.url}. Point its DNS at Berth's router.`);
    },
  );

  withApp(program.command('domains:remove').description('stop serving a custom domain').argument('<hostname>', 'the domain')).action(async (hostname: string, _: unknown, command: Command) => {
    const options = optionsOf(command);
    await client(options).delete(`${envPath(options)}/domains/${encodeURIComponent(hostname)}`);
    line(`Removed ${hostname}.`);
  });
}
