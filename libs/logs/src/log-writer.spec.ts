import { NewLogLine } from './log-line';
import { LogStore } from './log-store';
import { LogWriter } from './log-writer';

/** A store that takes its time over each batch, as PostgreSQL does under load. */
class SlowStore {
  readonly batches: NewLogLine[][] = [];
  private release: (() => void)[] = [];
  async append(lines: readonly NewLogLine[]): Promise<void> {
    this.batches.push([...lines]);
    await new Promise<void>((resolve) => this.release.push(resolve));
  }
  finishAll(): void {
    const waiting = this.release;
    this.release = [];
    waiting.forEach((resolve) => resolve());
  }
}

const line = (n: number): NewLogLine => ({ environmentId: 'e', time: new Date(0), source: 'app', text: `L ${n}` });

describe('LogWriter', () => {
  it('stores lines written while a batch is being stored in full batches, in order, with one flush queued', async () => {
    const store = new SlowStore();
    const writer = new LogWriter(store as unknown as LogStore);
    for (let n = 1; n <= 5000; n++) writer.write(line(n));
    await Promise.resolve();
    // The first batch is being stored; 20,000 more lines arrive meanwhile.
    for (let n = 5001; n <= 25_000; n++) writer.write(line(n));
    for (let i = 0; i < 20 && store.batches.flat().length < 25_000; i++) {
      store.finishAll();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const done = writer.flush();
    store.finishAll();
    await done;
    expect(store.batches.map((b) => b.length)).toEqual([5000, 5000, 5000, 5000, 5000]);
    expect(store.batches.flat().map((l) => l.text)).toEqual(Array.from({ length: 25_000 }, (_, i) => `L ${i + 1}`));
    await writer.onModuleDestroy();
  });
});
