import { Injectable } from '@nestjs/common';
import { Prisma, PrismaService } from '@berth/db';
import { LogLine, LogSource, NewLogLine } from './log-line';
import { LogFilter } from './log-query';
import { LOG_LINES_CHANNEL } from './log-line-signal';

interface Row {
  id: string;
  environmentId: string;
  time: Date;
  source: string;
  processType: string | null;
  instance: string | null;
  release: number | null;
  stream: string | null;
  text: string;
}

// id goes out as text (a bigint does not fit a JS number); ORDER BY must name "LogLine".id, or
// it would sort by that text column.
const COLUMNS = Prisma.sql`id::text AS id, "environmentId"::text AS "environmentId", time, source, "processType", instance, release, stream, text`;

/** Advisory lock key of LogLine inserts (any fixed number; 'LOGS' in ASCII). */
export const APPEND_LOCK = 0x4c4f4753;

const toLine = (row: Row): LogLine => ({ ...row, source: row.source as LogSource, stream: row.stream as LogLine['stream'] });

/**
 * A line as PostgreSQL's text takes it: no NUL characters (text cannot hold them), no lone
 * surrogates (JSON would carry them as escapes PostgreSQL refuses). Copied only when it must be.
 */
function storable(line: NewLogLine): NewLogLine {
  const text = line.text as string & { isWellFormed(): boolean; toWellFormed(): string };
  if (!text.includes('\0') && text.isWellFormed()) return line;
  return { ...line, text: text.toWellFormed().replace(/\0/g, '') };
}

/** `q` as an ILIKE pattern: the user's % and _ are literal. */
const containing = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Runtime log history in PostgreSQL (table LogLine): batched inserts; the newest lines of an
 * environment, new lines for live tails and resumes, all by (environmentId, id); text search
 * as a filter over one environment's lines (bounded by LOGS_MAX_LINES_PER_ENV); trimming by
 * age and count.
 */
@Injectable()
export class LogStore {
  constructor(private readonly db: PrismaService) {}

  /**
   * Inserts lines in one statement, one round trip, no transaction around it. Writers still
   * take turns: the statement first takes a transaction-level advisory lock (held until its own
   * commit), and only then draws ids from the sequence, so ids become visible in order and a
   * live tail or a drain reading \`id > last\` never misses a batch that committed late. A
   * statement waits for a pooled connection and for its turn; there is no interactive
   * transaction whose start can time out when the process is busy.
   */
  async append(lines: readonly NewLogLine[]): Promise<void> {
    if (!lines.length) return;
    // The batch goes as one JSON parameter: serialising 8 arrays of thousands of values element
    // by element cost the process about three times the CPU (measured: 15 µs a line against 4.5).
    const rows = JSON.stringify(lines.map(storable));
    // One notification per batch (sent on commit) wakes live tails (LogLineSignal).
    // A volatile CTE is evaluated once, before the join yields its first row; the ids (the
    // column's default, nextval) are drawn per joined row, in the batch's order, all after the lock.
    await this.db.$executeRaw`
      WITH turn AS MATERIALIZED (SELECT pg_advisory_xact_lock(${APPEND_LOCK}::bigint), pg_notify(${LOG_LINES_CHANNEL}, ''))
      INSERT INTO "LogLine" ("environmentId", time, source, "processType", instance, release, stream, text)
      SELECT line.* FROM turn CROSS JOIN json_to_recordset(${rows}::json)
        AS line("environmentId" uuid, time timestamptz, source text, "processType" text, instance text, release int, stream text, text text)`;
  }

  private where(environmentId: string, filter: LogFilter): Prisma.Sql {
    const parts = [Prisma.sql`"environmentId" = ${environmentId}::uuid`];
    if (filter.since) parts.push(Prisma.sql`time >= ${filter.since}`);
    if (filter.until) parts.push(Prisma.sql`time <= ${filter.until}`);
    if (filter.source) parts.push(Prisma.sql`source = ${filter.source}`);
    if (filter.processType) parts.push(Prisma.sql`"processType" = ${filter.processType}`);
    if (filter.instance) parts.push(Prisma.sql`instance = ${filter.instance}`);
    if (filter.release !== undefined) parts.push(Prisma.sql`release = ${filter.release}`);
    if (filter.q) parts.push(Prisma.sql`text ILIKE ${containing(filter.q)}`);
    return Prisma.join(parts, ' AND ');
  }

  /**
   * The newest `tail` lines that match, in time order. Newest means stored last; lines of
   * different hosts are stored within a batch interval of their time, so the page is then
   * ordered by time (ties by id).
   */
  async tail(environmentId: string, filter: LogFilter, tail: number): Promise<LogLine[]> {
    const rows = await this.db.$queryRaw<Row[]>`
      SELECT ${COLUMNS} FROM "LogLine" WHERE ${this.where(environmentId, filter)}
      ORDER BY "LogLine".id DESC LIMIT ${tail}`;
    return rows.map(toLine).sort((a, b) => a.time.getTime() - b.time.getTime() || Number(BigInt(a.id) - BigInt(b.id)));
  }

  /** Lines that match with an id above `afterId`, in id order (what a live tail reads next). */
  async after(environmentId: string, filter: LogFilter, afterId: bigint, limit = 1000): Promise<LogLine[]> {
    const rows = await this.db.$queryRaw<Row[]>`
      SELECT ${COLUMNS} FROM "LogLine" WHERE id > ${afterId} AND ${this.where(environmentId, filter)}
      ORDER BY "LogLine".id LIMIT ${limit}`;
    return rows.map(toLine);
  }

  /** The highest id stored (0 when empty): where a live tail that shows no history starts. */
  async lastId(): Promise<bigint> {
    const [row] = await this.db.$queryRaw<{ id: bigint | null }[]>`SELECT max(id) AS id FROM "LogLine"`;
    return BigInt(row?.id ?? 0);
  }

  /** When the newest stored line of an app instance was written (to resume its output after an agent restart). */
  async lastAppLineAt(environmentId: string, instance: string): Promise<Date | null> {
    const [row] = await this.db.$queryRaw<{ time: Date | null }[]>`
      SELECT time FROM "LogLine" WHERE "environmentId" = ${environmentId}::uuid AND source = 'app' AND instance = ${instance} ORDER BY id DESC LIMIT 1`;
    return row?.time ?? null;
  }

  /** Environments that have lines (a loose index scan: one index descent per environment). */
  async environmentsWithLines(): Promise<string[]> {
    const rows = await this.db.$queryRaw<{ id: string }[]>`
      WITH RECURSIVE envs AS (
        (SELECT "environmentId" AS id FROM "LogLine" ORDER BY "environmentId" LIMIT 1)
        UNION ALL
        SELECT (SELECT "environmentId" FROM "LogLine" WHERE "environmentId" > envs.id ORDER BY "environmentId" LIMIT 1)
        FROM envs WHERE envs.id IS NOT NULL
      )
      SELECT id::text AS id FROM envs WHERE id IS NOT NULL`;
    return rows.map((row) => row.id);
  }

  /**
   * Trims history: lines older than `before`, each environment down to its newest
   * `maxLinesPerEnvironment`, and every line of environments that no longer exist.
   * Returns how many lines went.
   */
  async trim(before: Date, maxLinesPerEnvironment: number): Promise<number> {
    let removed = await this.db.$executeRaw`DELETE FROM "LogLine" WHERE time < ${before}`;
    const withLines = await this.environmentsWithLines();
    const existing = new Set(
      (await this.db.environment.findMany({ where: { id: { in: withLines } }, select: { id: true } })).map((e) => e.id),
    );
    for (const environmentId of withLines) {
      if (!existing.has(environmentId)) {
        removed += await this.db.$executeRaw`DELETE FROM "LogLine" WHERE "environmentId" = ${environmentId}::uuid`;
        continue;
      }
      removed += await this.db.$executeRaw`
        DELETE FROM "LogLine" WHERE "environmentId" = ${environmentId}::uuid AND id <= (
          SELECT id FROM "LogLine" WHERE "environmentId" = ${environmentId}::uuid
          ORDER BY id DESC OFFSET ${maxLinesPerEnvironment} LIMIT 1)`;
    }
    return removed;
  }
}
