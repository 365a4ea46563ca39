import { Command } from 'commander';
import { client, optionsOf } from '../context';
import { json, line, note, table, when } from '../output';
import { withJson } from './common';

interface Token {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  expiresAt: string | null;
  lastUsedAt?: string | null;
  createdAt: string;
  token?: string;
}

export function register(program: Command): void {
  withJson(program.command('tokens').description('your API tokens (never their secrets)')).action(async (_: unknown, command: Command) => {
    const options = optionsOf(command);
    const tokens = await client(options).get<Token[]>('/api/tokens');
    if (options.json) return json(tokens);
    table(['Id', 'Name', 'Prefix', 'Scopes', 'Expires', 'Last used'], tokens.map((t) => [t.id, t.name, t.prefix, t.scopes.join(','), t.expiresAt ? when(t.expiresAt) : 'never', when(t.lastUsedAt)]));
  });

  withJson(
    program
      .command('tokens:create')
      .description('create an API token; its secret is shown once')
      .argument('<name>', 'what it is for, e.g. ci')
      .option('-s, --scopes <scopes>', 'comma-separated: read, write, git (default: those of your login)')
      .option('--expires-in-days <days>', 'let it expire after this many days'),
  ).action(async (name: string, _: unknown, command: Command) => {
    const options = optionsOf(command) as ReturnType<typeof optionsOf> & { scopes?: string; expiresInDays?: string };
    const body: Record<string, unknown> = { name };
    if (options.scopes) body.scopes = options.scopes.split(',').map((s) => s.trim()).filter(Boolean);
    if (options.expiresInDays) body.expiresInDays = Number(options.expiresInDays);
    const token = await client(options).post<Token>('/api/tokens', body);
    if (options.json) return json(token);
    line(token.token ?? '');
    note(`Token ${token.name} (${token.id}, ${token.scopes.join(',')}): keep the secret above; it is not shown again.`);
  });

  program
    .command('tokens:revoke')
    .description('revoke an API token: it stops working at once')
    .argument('<id>', 'the token id (see berth tokens)')
    .action(async (id: string, _: unknown, command: Command) => {
      await client(optionsOf(command)).delete(`/api/tokens/${encodeURIComponent(id)}`);
      line(`Revoked ${id}.`);
    });
}
