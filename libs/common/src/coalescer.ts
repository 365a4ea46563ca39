/**
 * Runs a piece of work now, or once more right after the run in progress: never two runs at
 * once, and no request lost. The loops of the scheduler and the agent use it so a timer tick
 * and a wake-up message arriving together make one round, not two racing ones.
 */
export class Coalescer {
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.work()
      .catch((error) => {
        // Connections close under a run that is ending with the process: not worth a word.
        if (!this.stopped) this.onError(error);
      })
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** No new runs; resolves when the one in progress has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}
