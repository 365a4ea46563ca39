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
