/** The longest failure reason made from a step's output (the build log keeps all of it). */
export const MAX_REASON_CHARS = 300;

/** The output of a build, cut into Containerfile steps as the engine prints them ("STEP 3/9: RUN ..."). */
export class StepOutput {
  private step: string | null = null;
  private lines: string[] = [];
  private partial = '';

  /** Feeds engine output (any chunking). */
  write(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.line(line);
  }

  /** The step running last, and its output so far. */
  current(): { step: string | null; lines: string[] } {
    return { step: this.step, lines: this.partial ? [...this.lines, this.partial] : this.lines };
  }

  private line(line: string): void {
    if (/^STEP \d+\/\d+: /.test(line)) {
      this.step = line;
      this.lines = [];
      return;
    }
    this.lines.push(line);
    if (this.lines.length > 400) this.lines.splice(0, this.lines.length - 200);
  }
}

/**
 * A failed step as the pusher reads it: which step, briefly ("Installing dependencies"), the
 * exit status, and the line(s) of its output that say what went wrong ("npm ERR! 404 ...",
 * "tar: ...: Not found in archive", "SyntaxError: ..."), not the whole RUN command.
 * Null when the engine's error is not a failed step (the caller keeps the engine's words).
 */
export function stepFailureReason(step: string | null, output: string[], engineError: string): string | null {
  const status = /exit status (\d+)/.exec(engineError);
  const signal = /signal: (\w+)/.exec(engineError);
  if (!step || (!status && !signal)) return null;
  const detail = meaningfulLines(output);
  const how = status ? `failed (exit status ${status[1]})` : signal![1] === 'killed' ? 'was killed (SIGKILL: often the build memory limit, BUILD_MEMORY_MB)' : `was stopped by signal ${signal![1]}`;
  const reason = `${stepName(step)} ${how}${detail ? `: ${detail}` : ''}`;
  return reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS - 1)}…` : reason;
}

/** What a step does, in a few words: Berth's own steps by name, anything else by its start. */
export function stepName(stepLine: string): string {
  const match = /^STEP (\d+)\/(\d+): (.*)$/.exec(stepLine);
  // Cache mounts (build caches) say nothing about what the step does.
  const instruction = (match ? match[3] : stepLine).replace(/^RUN (?:--mount=\S+ )+/, 'RUN ');
  if (/\/tmp\/node\.tgz/.test(instruction)) return 'Installing Node.js and npm';
  if (/^RUN npm install -g .*(yarn|pnpm|@yarnpkg\/cli-dist)/.test(instruction)) return `Installing ${/pnpm/.test(instruction) ? 'pnpm' : 'Yarn'}`;
  if (/^RUN (?:\S+=\S+ )*(npm ci|npm install|yarn install|pnpm install)\b/.test(instruction)) return 'Installing dependencies';
  const script = /^RUN (npm|yarn|pnpm) run ([\w:.-]+)/.exec(instruction);
  if (script) return `The ${script[2]} script (${script[1]} run ${script[2]})`;
  if (/^RUN test -f '[^']*index\.html'/.test(instruction)) return 'Checking the static output of the build';
  const short = instruction.length > 60 ? `${instruction.slice(0, 57)}...` : instruction;
  return match ? `Step ${match[1]}/${match[2]} (${short})` : short;
}

const ERROR_LINE =
  /(npm ERR!|npm error|ERR_PNPM|^error\b|^YN\d{4}:.*(error|fail)|\b\w*Error\b|^tar: |^gzip: |\bnot found\b|No such file|cannot |can't |FAILED|fatal|Unsupported|EBADENGINE|ENOENT|EACCES|permission denied|killed)/i;
const NOISE = [
  /^(npm ERR!|npm error)\s*$/,
  /A complete log of this run can be found in/i,
  /^(npm ERR!|npm error)\s+\/\S+\.log$/,
  /^(npm ERR!|npm error)\s+\/tmp\/npm-cache/,
  /^tar: Exiting with failure status/,
  /^\s+at /, // stack frames
  /^\s*\^+\s*$/, // the caret under a syntax error
  /^npm (WARN|notice)/,
  /^--> /,
  /^(COMMIT|Error: building at STEP)/,
];

/**
 * The lines that explain a failure: from the first error-looking line among the last lines of
 * the output, that line and the error lines after it (npm's "npm ERR!" block, tar's complaint,
 * a SyntaxError with the file it was in); else the last lines the step printed.
 */
export function meaningfulLines(output: string[]): string {
  const lines = output
    // eslint-disable-next-line no-control-regex
    .map((line) => line.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '').trimEnd())
    .filter((line) => line.trim() && !NOISE.some((noise) => noise.test(line)));
  const tail = lines.slice(-40);
  // A thrown error's own line ("Error: ...", "SyntaxError: ...") beats the source line quoted above it.
  const thrown = tail.findIndex((line) => /^\w*Error(:|$)/.test(line.trim()));
  const first = thrown >= 0 ? thrown : tail.findIndex((line) => ERROR_LINE.test(line));
  let picked: string[];
  if (first >= 0) {
    picked = [];
    // A SyntaxError names its file on an earlier line ("/usr/.../npm-cli.js:19").
    if (/^\w*Error\b/.test(tail[first].trim()) && first > 0) {
      const where = tail.slice(Math.max(0, first - 3), first).find((line) => /^\/\S+:\d+$/.test(line.trim()));
      if (where) picked.push(`${where.trim()}:`);
    }
    picked.push(...tail.slice(first).filter((line) => ERROR_LINE.test(line)));
  } else {
    picked = tail.slice(-2);
  }
  const out: string[] = [];
  let prefix: string | null = null;
  for (const raw of picked) {
    let line = raw.trim().replace(/\s+/g, ' ');
    const own = /^(npm ERR!|npm error) ?/.exec(line);
    if (own) {
      if (prefix) line = line.slice(own[0].length);
      else prefix = own[1];
    }
    if (!line || out.includes(line)) continue;
    out.push(line);
    if (out.join(' ').length > MAX_REASON_CHARS) break;
  }
  return out.join(' ');
}
