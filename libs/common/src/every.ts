/**
 * A job run every `ms` while started (sweeps, prunes, trims, the sleeper's rounds): a run that
 * fails is reported and the next one comes as usual, and the timer never keeps the process
 * alive. With `oneAtATime`, a tick that finds the last run still going is skipped (for jobs
 * whose runs would only repeat each other); without it, runs may overlap (a job whose run waits
 * on slow work of its own, like the log drains' deliveries). `stop()` resolves once the runs in
 * progress have ended, so a module can shut down after them.
 */
export class Every {
  private timer: NodeJS.Timeout | null = null;
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly ms: number,
    private readonly run: () => Promise<unknown>,
    private readonly failed: (error: Error) => void,
    private readonly options: { oneAtATime?: boolean } = {},
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.ms);
    this.timer.unref();
  }

  private tick(): void {
    if (this.options.oneAtATime && this.running.size) return;
    const run: Promise<void> = this.run()
      .then(
        () => undefined,
        (error: Error) => this.failed(error),
      )
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all(this.running);
  }
}
