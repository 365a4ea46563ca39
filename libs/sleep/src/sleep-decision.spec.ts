import { decideSleep, SleepFacts } from './sleep-decision';

const MIN = 60_000;
const t = (minutes: number) => new Date(Date.UTC(2026, 10, 30, 12, 0) + minutes * MIN);
const facts = (over: Partial<SleepFacts> = {}): SleepFacts => ({
  sleepAfterMinutes: 30,
  sleepingSince: null,
  lastRequestAt: null,
  createdAt: t(0),
  newestRelease: { createdAt: t(0), rolling: false },
  awakeInstances: 1,
  ...over,
});

describe('decideSleep', () => {
  it('puts an environment to sleep once it had no request for sleepAfterMinutes', () => {
    expect(decideSleep(facts({ lastRequestAt: t(10) }), t(39), MIN)).toEqual({ action: 'none' });
    expect(decideSleep(facts({ lastRequestAt: t(10) }), t(40), MIN)).toEqual({ action: 'sleep', idleMinutes: 30 });
  });

  it('counts idle time from the newest release when it is later than the last request', () => {
    const f = facts({ lastRequestAt: t(1), newestRelease: { createdAt: t(20), rolling: false } });
    expect(decideSleep(f, t(45), MIN)).toEqual({ action: 'none' });
    expect(decideSleep(f, t(50), MIN).action).toBe('sleep');
  });

  it('counts from creation when nothing was ever requested', () => {
    expect(decideSleep(facts({ createdAt: t(5), newestRelease: { createdAt: t(0), rolling: false } }), t(34), MIN).action).toBe('none');
    expect(decideSleep(facts({ createdAt: t(5), newestRelease: { createdAt: t(0), rolling: false } }), t(35), MIN).action).toBe('sleep');
  });

  it('never sleeps an environment without sleepAfterMinutes (production by default)', () => {
    expect(decideSleep(facts({ sleepAfterMinutes: null }), t(100_000), MIN)).toEqual({ action: 'none' });
  });

  it('leaves alone an environment that is rolling out or has nothing running', () => {
    expect(decideSleep(facts({ newestRelease: { createdAt: t(0), rolling: true } }), t(100), MIN)).toEqual({ action: 'none' });
    expect(decideSleep(facts({ newestRelease: null }), t(100), MIN)).toEqual({ action: 'none' });
    expect(decideSleep(facts({ awakeInstances: 0 }), t(100), MIN)).toEqual({ action: 'none' });
    expect(decideSleep(facts({ awakeInstances: 0, sleepingSince: t(50) }), t(100), MIN)).toEqual({ action: 'none' });
  });

  it('sends an asleep environment whose new release rolled out back to sleep at once', () => {
    const f = facts({ sleepingSince: t(50), lastRequestAt: t(10), newestRelease: { createdAt: t(60), rolling: false } });
    expect(decideSleep(f, t(61), MIN)).toEqual({ action: 'sleep_again' });
  });

  it('takes an asleep environment that answered a request since for awake', () => {
    const f = facts({ sleepingSince: t(50), lastRequestAt: t(62), newestRelease: { createdAt: t(60), rolling: false } });
    expect(decideSleep(f, t(63), MIN)).toEqual({ action: 'awake' });
  });

  it('scales with the length of a minute (tests use seconds)', () => {
    expect(decideSleep(facts({ sleepAfterMinutes: 2 }), new Date(t(0).getTime() + 1999), 1000).action).toBe('none');
    expect(decideSleep(facts({ sleepAfterMinutes: 2 }), new Date(t(0).getTime() + 2000), 1000).action).toBe('sleep');
  });
});
