import { Command } from 'commander';
import { UsageError } from '../args';
import { ApiError, responseLines } from '../client';
import { client, envPath, optionsOf } from '../context';
import { CliError } from '../output';
import { withApp, withJson } from './common';

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


  withJson(
    withApp(
      program
        .command('logs')
        .description("an environment's runtime log: its processes' output, the router's and Berth's lines")
        .option('-n, --num <lines>', 'how many of the newest lines', '100')
        .option('-t, --tail', 'keep printing new lines as they come (Ctrl-C stops)')
        .option('-p, --process <type>', 'only this process type (web) or instance (web.1)')
        .option('-s, --source <source>', 'only app, router or berth lines'),
    ),
  ).action(async (_: unknown, command: Command) => {
    const options = optionsOf(command) as ReturnType<typeof optionsOf> & { num: string; tail?: boolean; process?: string; source?: string };
    if (!/^\d+$/.test(options.num)) throw new UsageError(`"${options.num}" is not a number of lines, e.g. -n 200`);
    const query = new URLSearchParams({ tail: options.num });
    if (options.process) query.set(options.process.includes('.') ? 'instance' : 'process', options.process);
    if (options.source) query.set('source', options.source);
    if (options.json) query.set('format', 'json');
    if (options.tail) query.set('follow', 'true');
    let response: Response;
    try {
      response = await client(options).stream('GET', `${envPath(options)}/logs?${query}`, undefined, options.tail ? 'text/event-stream' : options.json ? 'application/json' : 'text/plain');
    } catch (error) {
      // A Berth without the logs API answers Nest's own 404 for the route.
      if (error instanceof ApiError && error.status === 404 && /^Cannot GET /.test(error.message)) {
        throw new CliError("Logs are not available yet on this Berth: it has no logs API. See a build's log with berth builds:output, and instances with berth ps.");
      }
      throw error;
    }
    const decoder = new TextDecoder();
    if (!options.tail) {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) process.stdout.write(decoder.decode(chunk, { stream: true }));
      return;
    }
    for await (const text of responseLines(response)) {
      if (text.startsWith('data:')) process.stdout.write(`${text.slice(5).replace(/^ /, '')}\n`);
    }
  });
}
