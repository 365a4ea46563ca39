import { Command } from 'commander';
import { apiOrigin, credentialIsFor, parseCredentialRequest, UsageError } from '../args';
import { BerthClient, MeView } from '../client';
import { apiUrl, client, git, interactive, optionsOf, prompt, promptSecret, readStdin } from '../context';
import { credentialsPath, readCredentials, removeCredentials, writeCredentials } from '../credentials';
import { CliError, json, line, note } from '../output';
import { withJson } from './common';

/** The git config key that makes `git push` to this Berth ask `berth git:credentials`. */
export const helperKey = (api: string) => `credential.${apiOrigin(api)}.helper`;
export const HELPER = '!berth git:credentials';

export function register(program: Command): void {
  type LoginOptions = ReturnType<typeof optionsOf> & { token?: string; email?: string; passwordStdin?: boolean; git: boolean };

  /** Email and password from the flags, stdin (--password-stdin) or the terminal. */
  async function emailAndPassword(options: LoginOptions, confirmPassword = false): Promise<{ email: string; password: string }> {
    let email = options.email;
    let password: string | undefined;
    if (options.passwordStdin) password = (await readStdin()).split('\n')[0].replace(/\r$/, '');
    if (!email) {
      if (!interactive()) throw new UsageError('No terminal to ask for your email: pass --email <email> and --password-stdin, or --token <token>.');
      email = (await prompt('Email: ')).trim();
    }
    if (password === undefined) {
      if (!interactive()) throw new UsageError('No terminal to ask for your password: pipe it with --password-stdin, or use --token <token>.');
      password = await promptSecret('Password: ');
      if (confirmPassword && (await promptSecret('Password again: ')) !== password) throw new CliError('The two passwords differ. Nothing was changed.');
    }
    return { email, password };
  }

  /** Keeps the token (0600) and points git's credential helper for this Berth at berth. */
  async function keep(api: string, token: string, options: LoginOptions, verb: string, session: boolean): Promise<void> {
    const me = await new BerthClient(api, token).get<MeView>('/api/auth/me');
    writeCredentials({ api, token, email: me.email, session });
    let gitNote = '';
    if (options.git) {
      const set = git(['config', '--global', '--replace-all', helperKey(api), HELPER]);
      gitNote = set === null ? ' (could not set up git: is git installed? Push with the token as password instead)' : '; git push to it authenticates as you';
    }
    line(`${verb} ${api} as ${me.email}${gitNote}.`);
  }

  const loginFlags = (command: Command) =>
    command
      .option('--email <email>', 'your email (asked for when not given)')
      .option('--password-stdin', 'read the password from standard input (for scripts)')
      .option('--no-git', 'do not set up the git credential helper');

  loginFlags(
    program
      .command('login')
      .description('log in to Berth; stores a token in your config dir and sets git up to push without one in the URL')
      .option('--token <token>', 'log in with an API token (from berth tokens:create) instead of email and password'),
  ).action(async (_: unknown, command: Command) => {
    const options = optionsOf(command) as LoginOptions;
    const api = apiUrl(options);
    if (options.token) return keep(api, options.token, options, 'Logged in to', false);
    const answer = await new BerthClient(api, null).post<{ token: string }>('/api/auth/login', await emailAndPassword(options));
    await keep(api, answer.token, options, 'Logged in to', true);
  });

  loginFlags(program.command('signup').description('make an account (with a personal team) and log in to it')).action(async (_: unknown, command: Command) => {
    const options = optionsOf(command) as LoginOptions;
    const api = apiUrl(options);
    const answer = await new BerthClient(api, null).post<{ token: string }>('/api/auth/signup', await emailAndPassword(options, true));
    await keep(api, answer.token, options, 'Signed up on', true);
  });

  program
    .command('logout')
    .description('revoke the token berth login made, and forget it and the git credential helper')
    .action(async (_: unknown, command: Command) => {
      const stored = readCredentials();
      if (stored?.session) {
        // Best effort: the token berth login made is revoked, found by its prefix (a token given with --token is left alone).
        try {
          const api = new BerthClient(apiOrigin(stored.api), stored.token);
          const mine = (await api.get<{ id: string; prefix: string }[]>('/api/tokens')).filter((t) => stored.token.startsWith(t.prefix));
          if (mine.length === 1) await api.delete(`/api/tokens/${mine[0].id}`);
        } catch {
          note(`Could not revoke the login token on ${stored.api} (unreachable, or already revoked); forgetting it here.`);
        }
      }
      removeCredentials();
      if (stored) git(['config', '--global', '--unset-all', helperKey(stored.api)]);
      line(stored ? `Logged out of ${stored.api}.` : 'You were not logged in.');
      void command;
    });

  withJson(program.command('whoami').description('who you are logged in as, and your teams')).action(async (_: unknown, command: Command) => {
    const options = optionsOf(command);
    const api = client(options);
    const me = await api.get<MeView>('/api/auth/me');
    if (options.json) return json({ ...me, api: api.api });
    line(me.email);
    note(`on ${api.api}${me.operator ? ' (operator)' : ''}`);
  });

  program
    .command('git:credentials')
    .description("git's credential helper for Berth (get/store/erase on stdin); berth login configures it")
    .argument('<operation>', 'get, store or erase')
    .action(async (operation: string) => {
      const request = parseCredentialRequest(await readStdin());
      if (operation !== 'get') return; // store and erase: the login is kept by berth login/logout, not by git
      const stored = readCredentials();
      if (!stored || !credentialIsFor(request, stored.api)) return;
      process.stdout.write(`username=berth\npassword=${stored.token}\n`);
    });

  program
    .command('credentials:path')
    .description('print where berth login keeps your token')
    .action(() => line(credentialsPath()));
}
