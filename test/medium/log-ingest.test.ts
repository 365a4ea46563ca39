import { Client } from 'pg';
import { PrismaService } from '@berth/db';
import { APPEND_LOCK, LogLine, LogsService, LogStore, NewLogLine } from '@berth/logs';
import { startPlatform, RunningPlatform } from '../support/platform';
import { createApp, signUp } from '../support/users';

// Generous on a shared machine; nothing here is timed.
jest.setTimeout(120_000);

/**
 * Many writers appending at once (as agents on many hosts do, each flushing its batches): no
 * line is lost or doubled, each environment keeps every writer's order, and a live tail that
 * reads while they write (LogsService.follow, what SSE sends) sees every line exactly once —
 * ids become visible in order, so a batch that committed late is never skipped.
 */
describe('log ingest under concurrent writers', () => {
  let platform: RunningPlatform;
  const environments: string[] = [];
  const WRITERS = 50;
  const LINES = 200;
  const PER_APPEND = 100;

  beforeAll(async () => {
    platform = await startPlatform();
    const owner = await signUp(platform);
    const app = await createApp(platform, owner, 'ingest');
    const db = platform.app.get(PrismaService);
    const appRow = await db.app.findUniqueOrThrow({ where: { name: app } });
    await db.environment.createMany({ data: [1, 2, 3, 4].map((i) => ({ appId: appRow.id, name: `p${i}`, kind: 'preview' as const, branch: `p${i}` })) });
    environments.push(...(await db.environment.findMany({ where: { appId: appRow.id }, orderBy: { name: 'asc' } })).map((e) => e.id));
  });
  afterAll(async () => platform.close());

  it(`stores ${WRITERS} concurrent writers × ${LINES} lines with none lost and order kept, and a live tail sees them all`, async () => {
    const store = platform.app.get(LogStore);
    const followed = environments[0];
    const abort = new AbortController();
    const seen: LogLine[] = [];
    const following = (async () => {
      for await (const batch of platform.app.get(LogsService).follow(followed, {}, { signal: abort.signal })) seen.push(...batch);
    })();
    // And a reader that asks again as soon as it has an answer (as many tails and drains at once would).
    const eager: LogLine[] = [];
    const reading = (async () => {
      let last = 0n;
      while (!abort.signal.aborted) {
        const lines = await store.after(followed, {}, last, 1000);
        if (lines.length) last = BigInt(lines[lines.length - 1].id);
        eager.push(...lines);
      }
    })();

    // Writer w writes to environment w % 5, lines `w<w> <n>`, n from 1, in appends of 100.
    const envOf = (w: number) => environments[w % environments.length];
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let n = 1; n <= LINES; n += PER_APPEND) {
          const batch: NewLogLine[] = Array.from({ length: PER_APPEND }, (_, i) => ({
            environmentId: envOf(w),
            time: new Date(),
            source: 'app',
            processType: 'web',
            instance: `web.${w + 1}`,
            release: 1,
            stream: 'stdout',
            text: `w${w} ${n + i}`,
          }));
          await store.append(batch);
        }
      }),
    );

    const expectedFollowed = Array.from({ length: WRITERS }, (_, w) => w).filter((w) => envOf(w) === followed).length * LINES;
    // A skipped batch would never come: stop waiting after a while (not a timing assertion).
    for (let waited = 0; (seen.length < expectedFollowed || eager.length < expectedFollowed) && waited < 10_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    abort.abort();
    await Promise.all([following, reading]);

    for (const environmentId of environments) {
      const stored = await store.after(environmentId, {}, 0n, WRITERS * LINES);
      const writers = Array.from({ length: WRITERS }, (_, w) => w).filter((w) => envOf(w) === environmentId);
      expect(stored).toHaveLength(writers.length * LINES);
      // Each writer's lines in id order are 1..200: none lost, none doubled, order kept.
      for (const w of writers) {
        const numbers = stored.filter((line) => line.text.startsWith(`w${w} `)).map((line) => Number(line.text.split(' ')[1]));
        expect(numbers).toEqual(Array.from({ length: LINES }, (_, i) => i + 1));
      }
      if (environmentId !== followed) continue;
      expect(seen.map((line) => line.id)).toEqual(stored.map((line) => line.id));
      expect(eager.map((line) => line.id)).toEqual(stored.map((line) => line.id));
    }
  });

  it('makes a batch wait for a writer still inserting, so a reader never sees a later id before an earlier one', async () => {
    const store = platform.app.get(LogStore);
    const environmentId = environments[1];
    const line = (text: string): NewLogLine => ({ environmentId, time: new Date(), source: 'berth', text });
    const start = BigInt((await store.after(environmentId, {}, 0n, 100_000)).at(-1)?.id ?? '0');
    // Another writer has taken its turn and drawn its id, and has not committed yet.
    const slow = new Client({ connectionString: platform.config.database.url });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      await slow.query('SELECT pg_advisory_xact_lock($1::bigint)', [APPEND_LOCK]);
      await slow.query(`INSERT INTO "LogLine" ("environmentId", time, source, text) VALUES ($1, now(), 'berth', 'slow')`, [environmentId]);
      const appended = store.append([line('fast')]);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // Had "fast" been stored beside it, a tail would have read it and moved past "slow".
      expect((await store.after(environmentId, {}, start)).map((l) => l.text)).toEqual([]);
      await slow.query('COMMIT');
      await appended;
    } finally {
      await slow.end();
    }
    expect((await store.after(environmentId, {}, start)).map((l) => l.text)).toEqual(['slow', 'fast']);
  });

  it('stores any text an app prints, every field as written: quotes, backslashes, JSON, NULs, lone surrogates, other scripts', async () => {
    const store = platform.app.get(LogStore);
    const environmentId = environments[2];
    const start = BigInt((await store.after(environmentId, {}, 0n, 100_000)).at(-1)?.id ?? '0');
    const texts = ['say "hi" \\ \\n', '{"log":"x","time":1}', 'nul\0in\0the middle', 'lone \ud800 surrogate', 'émigré 日本語 🚀', '', "it's %s_%"];
    const time = new Date('2026-12-01T05:00:00.123Z');
    await store.append(texts.map((text, i) => ({ environmentId, time, source: 'app', processType: 'web', instance: `web.${i}`, release: i, stream: i % 2 ? 'stderr' : 'stdout', text })));
    const stored = await store.after(environmentId, {}, start);
    expect(stored.map((l) => l.text)).toEqual(['say "hi" \\ \\n', '{"log":"x","time":1}', 'nulinthe middle', 'lone \ufffd surrogate', 'émigré 日本語 🚀', '', "it's %s_%"]);
    expect(stored.map((l) => [l.source, l.processType, l.instance, l.release, l.stream, l.time.toISOString()])).toEqual(
      texts.map((_, i) => ['app', 'web', `web.${i}`, i, i % 2 ? 'stderr' : 'stdout', time.toISOString()]),
    );
    // Lines without the optional fields (Berth's own) keep them empty.
    await store.append([{ environmentId, time, source: 'berth', text: 'web.1 started' }]);
    expect((await store.after(environmentId, {}, BigInt(stored.at(-1)!.id))).map((l) => [l.processType, l.instance, l.release, l.stream])).toEqual([[null, null, null, null]]);
  });
});
