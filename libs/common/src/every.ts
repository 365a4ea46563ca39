/**
 * A job run every `ms` while started (sweeps, prunes): a run that fails is reported and the
 * next one comes as usual; the timer never keeps the process alive.
 */
export class Every {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ms: number,
    private readonly run: () => Promise<unknown>,
    private readonly failed: (error: Error) => void,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.run().catch((error: Error) => this.failed(error)), this.ms);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
