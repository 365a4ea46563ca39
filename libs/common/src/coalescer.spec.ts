import { Coalescer } from './coalescer';

describe('Coalescer', () => {
  it('runs one at a time and once more for every burst of kicks during a run', async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    let release!: () => void;
    const coalescer = new Coalescer(async () => {
      runs++;
      most = Math.max(most, ++active);
      await new Promise<void>((resolve) => (release = resolve));
      active--;
    }, fail);
    coalescer.kick();
    coalescer.kick();
    coalescer.kick();
    expect(runs).toBe(1);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBe(2);
    release();
    await coalescer.stop();
    expect(most).toBe(1);
    coalescer.kick();
    expect(runs).toBe(2);
  });

  it('reports errors unless it is stopping', async () => {
    const errors: unknown[] = [];
    const coalescer = new Coalescer(async () => {
      throw new Error('boom');
    }, (error) => errors.push(error));
    coalescer.kick();
    await coalescer.stop();
    expect(errors).toHaveLength(0); // stopped before the rejection was seen
    const other = new Coalescer(async () => {
      throw new Error('boom');
    }, (error) => errors.push(error));
    other.kick();
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toHaveLength(1);
  });
});

function fail(error: unknown): never {
  throw error;
}
