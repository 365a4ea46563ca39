import { Every } from './every';

describe('Every', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs the job every interval once started, reports failures and goes on, and stops', async () => {
    const failures: string[] = [];
    let runs = 0;
    const every = new Every(1000, async () => {
      runs++;
      if (runs === 2) throw new Error('second run broke');
    }, (error) => failures.push(error.message));
    every.start();
    every.start(); // starting twice keeps one timer
    await jest.advanceTimersByTimeAsync(3500);
    expect(runs).toBe(3);
    expect(failures).toEqual(['second run broke']);
    every.stop();
    await jest.advanceTimersByTimeAsync(5000);
    expect(runs).toBe(3);
  });
});

describe('Every, one run at a time', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('skips the ticks that come while a run is going, and stop() waits for that run', async () => {
    let runs = 0;
    let finish: () => void = () => undefined;
    const every = new Every(1000, () => {
      runs++;
      return new Promise<void>((resolve) => (finish = resolve));
    }, () => undefined, { oneAtATime: true });
    every.start();
    await jest.advanceTimersByTimeAsync(3500);
    expect(runs).toBe(1);
    let stopped = false;
    const stopping = every.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    finish();
    await stopping;
    expect(stopped).toBe(true);
    await jest.advanceTimersByTimeAsync(5000);
    expect(runs).toBe(1);
  });
});
