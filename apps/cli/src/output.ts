/** Everything the CLI prints goes through here: tables, JSON, notes and errors. */

/** A failure to report in plain words; exit code 1 (or 2 for usage). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function json(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function line(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/** Progress and notes go to stderr, so stdout stays the data (and `--json` stays parseable). */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

export type Cell = string | number | boolean | null | undefined;

/** A plain aligned table with a header row; an empty list prints `empty` instead. */
export function table(headers: string[], rows: Cell[][], empty = 'None.'): void {
  if (!rows.length) {
    line(empty);
    return;
  }
  const text = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))));
  const widths = headers.map((header, i) => Math.max(header.length, ...text.map((row) => row[i]?.length ?? 0)));
  const format = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd();
  line(format(headers));
  line(format(widths.map((w) => '─'.repeat(w))));
  for (const row of text) line(format(row));
}

/** `key: value` lines, keys aligned. */
export function fields(pairs: [string, Cell][]): void {
  const width = Math.max(...pairs.map(([key]) => key.length));
  for (const [key, value] of pairs) line(`${`${key}:`.padEnd(width + 1)} ${value === null || value === undefined ? '-' : String(value)}`);
}

export function megabytes(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined ? '-' : `${Math.round(bytes / 1024 / 1024)} MB`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '-';
  return new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
