import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { AppAccess } from '@berth/tenant-apps';
import { BerthConfig } from '@berth/config';
import { conflict, invalidInput, SecretBox } from '@berth/common';
import { PrismaService } from '@berth/db';
import { requestsFor } from '@berth/placement';
import { AppNetworks, ContainerRuntime, LABELS, containerSpec, diskTarget } from '@berth/agent';

/**
 * One-off processes (`berth run`): a command in a fresh container of the environment's
 * current release, with its config and the limits of its web process (or the defaults),
 * streamed back as it runs; the container is removed afterwards, also when the caller hangs
 * up or the run outlives RUN_TIMEOUT_SECONDS. It runs on the engine of the process that
 * serves the API.
 */
@Injectable()
export class RunService {
  private readonly logger = new Logger(RunService.name);

  constructor(
    private readonly db: PrismaService,
    private readonly access: AppAccess,
    private readonly box: SecretBox,
    private readonly config: BerthConfig,
    private readonly runtime: ContainerRuntime,
    private readonly networks: AppNetworks,
  ) {}

  validate(body: unknown): string {
    const command = (body as { command?: unknown } | null)?.command;
    const extra = body && typeof body === 'object' ? Object.keys(body).filter((key) => key !== 'command') : [];
    const fields: Record<string, string> = {};
    if (typeof command !== 'string' || command.trim() === '') fields.command = 'is required: a shell command such as "rake db:migrate"';
    else if (command.length > this.config.agent.runMaxCommandLength) fields.command = `must be at most ${this.config.agent.runMaxCommandLength} characters`;
    else if (command.includes('\0')) fields.command = 'may not contain NUL characters';
    for (const key of extra) fields[key] = 'is not a known field; remove it';
    if (Object.keys(fields).length) throw invalidInput(fields);
    return command as string;
  }

  async run(userId: string, appName: string, envName: string, body: unknown, res: Response): Promise<void> {
    const command = this.validate(body);
    const { app, environment } = await this.access.environment(userId, appName, envName, 'member');
    const release = await this.db.release.findFirst({ where: { environmentId: environment.id, status: 'active' }, include: { image: true, formation: true } });
    if (!release?.image) {
      throw conflict('no_current_release', `Environment "${envName}" has no current release to run in. Push code first (git push) and wait for "Deployed".`);
    }
    const size = release.formation.find((line) => line.processType === 'web') ?? (environment.kind === 'preview' ? this.config.formation.preview : this.config.formation.production);
    const runId = randomUUID();
    const name = `berth-run-${runId}`;
    const image = await this.runtime.imageFacts(release.image.tag);
    const disk = { volume: `${name}-disk`, target: diskTarget(image.workingDir), sizeMb: size.diskMb };
    const spec = containerSpec({
      name,
      image: release.image.tag,
      imageUser: image.user,
      command,
      env: this.box.openJson<Record<string, string>>(release.configEncrypted),
      labels: {
        [LABELS.app]: app.name,
        [LABELS.env]: environment.name,
        [LABELS.release]: `v${release.version}`,
        [LABELS.process]: 'run',
        [LABELS.oneOff]: runId,
        [LABELS.install]: this.config.installId,
      },
      limits: { memoryMb: size.memoryMb, cpuMillis: size.cpuMillis, pidsLimit: size.pidsLimit },
      // A one-off competes for CPU like the web instances it runs beside.
      cpuRequestMillis: requestsFor(size, { cpuMillis: 'cpuRequestMillis' in size ? (size.cpuRequestMillis as number | null) : null }, this.config.placement.requestRatios).cpuMillis,
      security: { defaultUser: this.config.agent.containerUser, ulimits: this.config.agent.ulimits },
      network: await this.networks.ensure(app),
      disk,
      logMaxMb: this.config.agent.logMaxMb,
    });

    const details = await this.runtime.run(spec, disk);
    let finished = false;
    const cleanup = () => this.runtime.remove(details.id, 0).catch((error) => this.logger.warn(`could not remove one-off container ${details.id}: ${(error as Error).message}`));
    const timeout = setTimeout(() => void this.runtime.kill(details.id), this.config.agent.runTimeoutMs);
    res.on('close', () => {
      if (!finished) void this.runtime.kill(details.id);
    });
    res.status(200);
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Berth-Release', `v${release.version}`);
    res.setHeader('Trailer', 'X-Berth-Exit-Code');
    res.flushHeaders();
    // The answer ends once the container is gone: a client that sees the end finds nothing left.
    let last: string;
    try {
      const exitCode = await this.runtime.follow(details.id, (chunk) => res.write(chunk));
      finished = true;
      res.addTrailers({ 'X-Berth-Exit-Code': String(exitCode) });
      last = `\n[berth] exited with code ${exitCode}\n`;
    } catch (error) {
      finished = true;
      last = `\n[berth] the run failed: ${(error as Error).message}\n`;
    } finally {
      clearTimeout(timeout);
      await cleanup();
    }
    res.end(last);
  }
}
