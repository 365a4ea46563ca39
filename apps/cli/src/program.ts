import { Command, CommanderError } from 'commander';
import { UsageError } from './args';
import { ApiError } from './client';
import { CliError } from './output';
import * as apps from './commands/apps';
import * as auth from './commands/auth';
import * as builds from './commands/builds';
import * as completion from './commands/completion';
import * as config from './commands/config';
import * as domains from './commands/domains';
import * as hosts from './commands/hosts';
import * as previews from './commands/previews';
import * as ps from './commands/ps';
import * as releases from './commands/releases';
import * as run from './commands/run';
import * as teams from './commands/teams';
import * as tokens from './commands/tokens';

export const VERSION = '0.1.0';

/** Every command, on commander: usage mistakes exit 2, failures 1, success 0. */
export function buildProgram(): Command {
  const program = new Command('berth')
    .description("Berth's command line: apps, config, scaling, releases and one-off runs.\nLog in first: berth login --api http://<berth>:3000")
    .version(VERSION, '-v, --version')
    .option('--api <url>', "Berth's address (default: BERTH_API_URL, else the one you logged in to, else http://localhost:3000)")
    .showSuggestionAfterError(true)
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ showGlobalOptions: true })
    .exitOverride();
  for (const topic of [auth, apps, config, ps, releases, builds, run, domains, previews, tokens, teams, hosts, completion]) topic.register(program);
  program.addHelpText('after', '\nHelp for a command: berth <command> --help. Exit codes: 0 success, 1 failure, 2 usage.');
  return program;
}

/** Runs the CLI; resolves with the exit code to leave with. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2; // commander printed it
    if (error instanceof UsageError) {
      process.stderr.write(`berth: ${error.message}\n`);
      return 2;
    }
    if (error instanceof ApiError || error instanceof CliError) {
      process.stderr.write(`berth: ${error.message}\n`);
      return error instanceof CliError ? error.exitCode : 1;
    }
    process.stderr.write(`berth: ${(error as Error).message ?? String(error)}\n`);
    return 1;
  }
}
