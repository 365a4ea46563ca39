/** Where a line comes from: the app's own output, the router's access log, or Berth itself. */
export const LOG_SOURCES = ['app', 'router', 'berth'] as const;
export type LogSource = (typeof LOG_SOURCES)[number];

/** A line to store. */
export interface NewLogLine {
  environmentId: string;
  time: Date;
  source: LogSource;
  /** web, worker …; null for Berth's and the router's lines. */
  processType?: string | null;
  /** web.1 */
  instance?: string | null;
  release?: number | null;
  stream?: 'stdout' | 'stderr' | null;
  text: string;
}

/** A stored line: its id is its place in the environment's stream (SSE ids, `Last-Event-ID`). */
export interface LogLine extends NewLogLine {
  id: string;
}

/** `app[web.1]`, `berth`, `router`: who wrote the line, as Heroku shows it. */
export function originOf(line: Pick<NewLogLine, 'source' | 'instance'>): string {
  return line.source === 'app' ? `app[${line.instance ?? 'app'}]` : line.source;
}

/** Heroku's line format: `2026-11-30T16:00:00.123Z app[web.1]: hello`. */
export function formatLine(line: NewLogLine): string {
  return `${line.time.toISOString()} ${originOf(line)}: ${line.text}`;
}

/** The JSON shape of a line in the API. */
export function lineJson(line: LogLine) {
  return {
    id: line.id,
    time: line.time.toISOString(),
    source: line.source,
    origin: originOf(line),
    process: line.processType ?? null,
    instance: line.instance ?? null,
    release: line.release ?? null,
    stream: line.stream ?? null,
    text: line.text,
  };
}
