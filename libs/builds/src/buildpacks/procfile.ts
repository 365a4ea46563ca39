/**
 * Process types and their commands: { web: "node server.js", worker: "node worker.js" }.
 * A command runs as `/bin/sh -c <command>` in the image's working directory (the runtime starts
 * a process type with Entrypoint ["/bin/sh", "-c"] and Cmd [command]); null means the image's
 * own ENTRYPOINT/CMD (a Dockerfile build without a Procfile). `web` is given $PORT.
 */
export type ProcessTypes = Record<string, string | null>;

const PROCESS_TYPE = /^[a-z][a-z0-9_-]{0,29}$/;

export type ProcfileResult = { ok: true; types: Record<string, string> } | { ok: false; problem: string };

/**
 * Parses a Procfile: one `<type>: <command>` per line; blank lines and `#` comments are
 * ignored. Problems name the line and say how a valid line looks.
 */
export function parseProcfile(text: string): ProcfileResult {
  const types: Record<string, string> = {};
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const where = `Procfile line ${index + 1} ("${line.length > 60 ? `${line.slice(0, 57)}...` : line}")`;
    const colon = line.indexOf(':');
    if (colon <= 0) return { ok: false, problem: `${where} is not "<process type>: <command>", e.g. "web: node server.js".` };
    const type = line.slice(0, colon).trim();
    const command = line.slice(colon + 1).trim();
    if (!PROCESS_TYPE.test(type)) {
      return { ok: false, problem: `${where}: the process type "${type}" must be 1 to 30 lowercase letters, digits, "-" or "_", starting with a letter (e.g. web, worker).` };
    }
    if (!command) return { ok: false, problem: `${where}: the process type "${type}" has no command.` };
    if (type in types) return { ok: false, problem: `${where}: the process type "${type}" is defined twice.` };
    types[type] = command;
  }
  if (Object.keys(types).length === 0) return { ok: false, problem: 'The Procfile defines no process types; add a line such as "web: node server.js", or delete the file.' };
  return { ok: true, types };
}
