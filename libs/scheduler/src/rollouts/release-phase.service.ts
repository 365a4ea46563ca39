import { Injectable, Logger } from '@nestjs/common';
import { BuildLog } from '@berth/builds';
import { BerthConfig } from '@berth/config';
import { Clock } from '@berth/common';
import { PrismaService, Release } from '@berth/db';
import { LogWriter } from '@berth/logs';
import {
  INTERRUPTED_REASON,
  LastLine,
  RELEASE_PROCESS_TYPE,
  ReleasePhaseEnd,
  ReleasePhaseRunner,
  ReleasesService,
  releaseCommandOf,
  releasePhaseFailure,
  releasePhaseStep,
} from '@berth/releases';

/**
 * Runs a release's release phase once, before its instances start (RolloutService): records
 * when it began and ended on the release row, streams its output to the push (the release's
 * build log) and to the environment's log (`app[release]`), and returns why the release fails,
 * or null when it may go on.
 */
@Injectable()
export class ReleasePhaseService {
  private readonly logger = new Logger('ReleasePhase');

  constructor(
    private readonly db: PrismaService,
    private readonly runner: ReleasePhaseRunner,
    private readonly releases: ReleasesService,
    private readonly buildLog: BuildLog,
    private readonly logs: LogWriter,
    private readonly config: BerthConfig,
    private readonly clock: Clock,
  ) {}

  async run(release: Pick<Release, 'id'>): Promise<string | null> {
    const row = await this.db.release.findUnique({
      where: { id: release.id },
      include: { image: true, formation: true, environment: { select: { name: true, kind: true, app: { select: { id: true, name: true } } } } },
    });
    if (!row?.image) return null;
    const command = releaseCommandOf(row.image.processTypes);
    const step = releasePhaseStep(command, row);
    if (step === 'none' || step === 'done') return null;
    if (step === 'interrupted') return INTERRUPTED_REASON;
    // Claimed once: should two attempts race, the second finds it begun and does not run it again.
    const claimed = await this.db.release.updateMany({ where: { id: row.id, releasePhaseStartedAt: null }, data: { releasePhaseStartedAt: this.clock.now() } });
    if (claimed.count !== 1) return INTERRUPTED_REASON;

    const timeoutMs = this.config.scheduler.releasePhaseTimeoutMs;
    const toPush = new PushLines((text) => (row.buildId ? this.buildLog.append(row.buildId, text) : Promise.resolve()));
    const last = new LastLine();
    const event = (text: string) => this.logs.write({ environmentId: row.environmentId, time: this.clock.now(), source: 'berth', release: row.version, text });
    toPush.say(`-----> Running the release phase of v${row.version}: ${command}`);
    event(`release v${row.version}: running the release command (${RELEASE_PROCESS_TYPE}: ${command})`);

    const size =
      row.formation.find((line) => line.processType === 'web') ?? (row.environment.kind === 'preview' ? this.config.formation.preview : this.config.formation.production);
    const lines = new LineSplitter((line) => {
      last.write(`${line}\n`);
      toPush.say(`       ${line}`);
      this.logs.write({ environmentId: row.environmentId, time: this.clock.now(), source: 'app', processType: RELEASE_PROCESS_TYPE, instance: RELEASE_PROCESS_TYPE, release: row.version, text: line });
    });
    let end: ReleasePhaseEnd | null = null;
    let failure: string | null;
    try {
      end = await this.runner.run({
        releaseId: row.id,
        version: row.version,
        app: row.environment.app,
        environmentName: row.environment.name,
        image: row.image.tag,
        command: command!,
        env: this.releases.openConfig(row),
        size: { memoryMb: size.memoryMb, cpuMillis: size.cpuMillis, pidsLimit: size.pidsLimit, diskMb: size.diskMb },
        timeoutMs,
        output: (text) => lines.write(text),
      });
      lines.end();
      failure = releasePhaseFailure(end, last.value, timeoutMs);
    } catch (error) {
      lines.end();
      failure = `the release command could not start (${(error as Error).message}); redeploy to try again`;
      this.logger.warn(`release phase of release ${row.id}: ${(error as Error).message}`);
    }
    await this.db.release.update({ where: { id: row.id }, data: { releasePhaseEndedAt: this.clock.now() } });
    toPush.say(failure ? ` !     The release phase failed: ${failure}` : `       The release phase of v${row.version} succeeded; starting its instances`);
    event(failure ? `release v${row.version}: the release phase failed: ${failure}` : `release v${row.version}: the release phase succeeded`);
    await toPush.done();
    return failure;
  }
}

/** Whole lines out of chunks of output (a chunk may end mid-line). */
export class LineSplitter {
  private pending = '';

  constructor(private readonly line: (text: string) => void) {}

  write(text: string): void {
    const parts = (this.pending + text).replace(/\r\n/g, '\n').split('\n');
    this.pending = parts.pop() ?? '';
    for (const part of parts) this.line(part);
  }

  end(): void {
    if (this.pending) this.line(this.pending);
    this.pending = '';
  }
}

/** Lines for the push (the build's log), appended in order, one at a time; a failed append is not the release's failure. */
class PushLines {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly append: (text: string) => Promise<void>) {}

  say(text: string): void {
    this.chain = this.chain.then(() => this.append(`${text}\n`)).catch(() => undefined);
  }

  done(): Promise<unknown> {
    return this.chain;
  }
}
