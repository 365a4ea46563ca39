import { Command } from 'commander';

/** -a/--app and -e/--env, which every command about one app's environment takes. */
export function withApp(command: Command): Command {
  return command
    .option('-a, --app <app>', 'the app (default: the one the "berth" git remote of this directory points at)')
    .option('-e, --env <env>', 'the environment: production, or a preview\'s name', 'production');
}

/** --json: print the API's data as JSON instead of a table. */
export function withJson(command: Command): Command {
  return command.option('--json', 'print JSON instead of a table');
}

/** --no-wait: return once the change is accepted instead of following the rollout. */
export function withWait(command: Command): Command {
  return command.option('--no-wait', 'do not wait for the new release to roll out');
}
