import { Command } from 'commander';
import { client, optionsOf } from '../context';
import { json, line, table, when } from '../output';
import { withJson } from './common';

interface Member {
  userId: string;
  email: string;
  role: string;
  since: string;
}
const ROLES = 'viewer, member, admin or owner';
const teamPath = (team: string) => `/api/teams/${encodeURIComponent(team)}`;

export function register(program: Command): void {
  withJson(program.command('teams').description('your teams and your role in each')).action(async (_: unknown, command: Command) => {
    const options = optionsOf(command);
    const teams = await client(options).get<{ name: string; role: string; personal: boolean }[]>('/api/teams');
    if (options.json) return json(teams);
    table(['Team', 'Role', 'Personal'], teams.map((t) => [t.name, t.role, t.personal ? 'yes' : '']));
  });

  withJson(program.command('teams:create').description('create a team; you are its owner').argument('<team>', "the team's name")).action(async (team: string, _: unknown, command: Command) => {
    const options = optionsOf(command);
    const created = await client(options).post<{ name: string }>('/api/teams', { name: team });
    if (options.json) return json(created);
    line(`Created team ${created.name}. Add people with: berth members:add <email> -t ${created.name}`);
  });

  withJson(program.command('members').description("a team's members and their roles").requiredOption('-t, --team <team>', 'the team')).action(async (_: unknown, command: Command) => {
    const options = optionsOf(command) as { team: string; json?: boolean };
    const team = await client(options).get<{ members: Member[] }>(teamPath(options.team));
    if (options.json) return json(team.members);
    table(['Email', 'Role', 'Since'], team.members.map((m) => [m.email, m.role, when(m.since)]));
  });

  withJson(
    program
      .command('members:add')
      .description('add someone with a Berth account to a team')
      .argument('<email>', 'their email')
      .requiredOption('-t, --team <team>', 'the team')
      .option('-r, --role <role>', `their role: ${ROLES}`, 'member'),
  ).action(async (email: string, _: unknown, command: Command) => {
    const options = optionsOf(command) as { team: string; role: string; json?: boolean };
    const member = await client(options).post<Member>(`${teamPath(options.team)}/members`, { email, role: options.role });
    if (options.json) return json(member);
    line(`Added ${member.email} to ${options.team} as ${member.role}.`);
  });

  withJson(
    program
      .command('members:set-role')
      .description("change a member's role")
      .argument('<email>', 'their email')
      .argument('<role>', ROLES)
      .requiredOption('-t, --team <team>', 'the team'),
  ).action(async (email: string, role: string, _: unknown, command: Command) => {
    const options = optionsOf(command) as { team: string; json?: boolean };
    const member = await client(options).patch<Member>(`${teamPath(options.team)}/members/${encodeURIComponent(email)}`, { role });
    if (options.json) return json(member);
    line(`${member.email} is now ${member.role} on ${options.team}.`);
  });

  program
    .command('members:remove')
    .description('remove a member from a team (yourself to leave it)')
    .argument('<email>', 'their email')
    .requiredOption('-t, --team <team>', 'the team')
    .action(async (email: string, _: unknown, command: Command) => {
      const options = optionsOf(command) as { team: string; api?: string };
      await client(options).delete(`${teamPath(options.team)}/members/${encodeURIComponent(email)}`);
      line(`Removed ${email} from ${options.team}.`);
    });
}
