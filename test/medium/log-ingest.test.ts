import { PrismaService } from '@berth/db';
import { LogLine, LogsService, LogStore, NewLogLine } from '@berth/logs';
import { startPlatform, RunningPlatform } from '../support/platform';
import { createApp, signUp } from '../support/users';

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
  const PER_APPEND = 20;

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

    // Writer w writes to environment w % 5, lines `w<w> <n>`, n from 1, in appends of 20.
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
    while (seen.length < expectedFollowed) await new Promise((resolve) => setTimeout(resolve, 100));
    abort.abort();
    await following;

    for (const environmentId of environments) {
      const stored = await store.after(environmentId, {}, 0n, WRITERS * LINES);
      const writers = Array.from({ length: WRITERS }, (_, w) => w).filter((w) => envOf(w) === environmentId);
      expect(stored).toHaveLength(writers.length * LINES);
      // Each writer's lines in id order are 1..200: none lost, none doubled, order kept.
      for (const w of writers) {
        const numbers = stored.filter((line) => line.text.startsWith(`w${w} `)).map((line) => Number(line.text.split(' ')[1]));
        expect(numbers).toEqual(Array.from({ length: LINES }, (_, i) => i + 1));
      }
      if (environmentId === followed) expect(seen.map((line) => line.id)).toEqual(stored.map((line) => line.id));
    }
  });
});
