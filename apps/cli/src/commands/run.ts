import { Command } from 'commander';
import { UsageError } from '../args';
import { client, envPath, optionsOf } from '../context';
import { CliError } from '../output';
import { withApp } from './common';

const EXIT_LINE = /^\[berth\] exited with code (\d+)$/;

function shellJoin(words: string[]): string {
  if (words.length === 1) return words[0];
  return words.map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function register(program: Command): void {
  withApp(
    program
      .command('run')
      .description("run a one-off command in a fresh container of the current release; exits with the command's exit code")
      .argument('<command...>', 'the command (put -- before it when it has flags: berth run -- ls -la)')
      .usage('[options] -- <command...>'),
  ).action(async (words: string[], _: unknown, command: Command) => {
    const options = optionsOf(command);
    if (!words.length) throw new UsageError('Name a command to run, e.g. berth run -- ls -la');
    const response = await client(options).stream('POST', `${envPath(options)}/run`, { command: shellJoin(words) });
    const decoder = new TextDecoder();
    let tail = '';
    let code: number | null = null;
    // Lines go out as they arrive; a line that may be Berth's closing one waits for its end.
    const flush = (final: boolean) => {
      let at: number;
      while ((at = tail.indexOf('\n')) >= 0) {
        const text = tail.slice(0, at);
        tail = tail.slice(at + 1);
        const match = EXIT_LINE.exec(text);
        if (match) code = Number(match[1]);
        else process.stdout.write(`${text}\n`);
      }
      if (tail && (final || !'[berth] exited with code '.startsWith(tail.slice(0, 25)))) {
        const match = final ? EXIT_LINE.exec(tail) : null;
        if (match) code = Number(match[1]);
        else process.stdout.write(tail);
        tail = '';
      }
    };
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      tail += decoder.decode(chunk, { stream: true });
      flush(false);
    }
    tail += decoder.decode();
    flush(true);
    if (code === null) throw new CliError('The run ended without an exit code (the connection was cut?). See berth ps.');
    process.exitCode = code;
  });

  program
    .command('logs')
    .description('not available yet: Berth has no logs API')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new CliError('logs are not available yet: Berth has no logs API. See a build\'s log with berth builds:output, and instances with berth ps.');
    });
}
