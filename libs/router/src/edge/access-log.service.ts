import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { createSocket, Socket } from 'node:dgram';
import { BerthConfig } from '@berth/config';
import { Clock } from '@berth/common';
import { LineRateLimit, LogWriter, truncateLine } from '@berth/logs';
import { RequestMetricsWriter } from '@berth/metrics';
import { ForwardedRequests } from './forwarded-requests';
import { AccessRecord, environmentOfBackend, parseAccessLine, routerLineText } from './access-log';

/** Environments whose router lines are rate-limited at once; past this the least recent limit is forgotten. */
const MAX_LIMITS = 10_000;
const REPORT_EVERY_MS = 1000;

/** Which instance a server slot of an environment's backend serves now (EdgeRouter knows). */
export type InstanceOfSlot = (environmentId: string, server: string) => string | null;

/**
 * The router's access log: a UDP syslog listener on loopback that HAProxy sends one line per
 * request to. Each request counts in the environment's request metrics, and becomes a `router`
 * line of its log, rate-limited per environment like an instance's output (LOGS_RATE_LINES_PER_SECOND;
 * what is dropped is told in one Berth line). Lines sent while no router listens (a router
 * restarting) are lost; metrics of those requests too.
 */
@Injectable()
export class AccessLog implements OnModuleDestroy {
  private readonly logger = new Logger('AccessLog');
  private socket: Socket | null = null;
  private readonly limits = new Map<string, LineRateLimit>();
  private reporter: NodeJS.Timeout | null = null;
  private instanceOf: InstanceOfSlot = () => null;

  constructor(
    private readonly config: BerthConfig,
    private readonly clock: Clock,
    private readonly logs: LogWriter,
    private readonly metrics: RequestMetricsWriter,
    private readonly forwarded: ForwardedRequests,
  ) {}

  /** Listens on a free loopback port; resolves with it (for HAProxy's configuration). */
  async start(instanceOf: InstanceOfSlot): Promise<{ address: string; port: number }> {
    this.instanceOf = instanceOf;
    const socket = createSocket('udp4');
    socket.on('message', (message) => this.receive(message.toString('utf8')));
    socket.on('error', (error) => this.logger.warn(`access log socket: ${error.message}`));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // A burst of requests must not overflow the kernel's default buffer between two reads.
    try {
      socket.setRecvBufferSize(4 * 1024 * 1024);
    } catch {
      // the kernel's maximum is lower: keep its default
    }
    this.socket = socket;
    this.reporter = setInterval(() => this.reportDrops(), REPORT_EVERY_MS).unref();
    const { address, port } = socket.address();
    return { address, port };
  }

  receive(text: string, now = this.clock.now()): void {
    const record = parseAccessLine(text);
    if (!record) return;
    const environmentId = environmentOfBackend(record.backend);
    if (!environmentId) return;
    this.metrics.record(environmentId, now, record.status, record.activeMs);
    if (!this.limit(environmentId).admit(now.getTime())) return;
    this.logs.write({ environmentId, time: now, source: 'router', text: this.lineText(environmentId, record) });
  }

  private lineText(environmentId: string, record: AccessRecord): string {
    // `status`: the router's status server answered, itself or by forwarding to an instance it names.
    const instance =
      record.server === 'status' ? this.forwarded.take(environmentId, record.requestId) : record.server.startsWith('<') ? null : this.instanceOf(environmentId, record.server);
    return truncateLine(routerLineText(record, instance), this.config.logs.maxLineBytes);
  }

  private limit(environmentId: string): LineRateLimit {
    let limit = this.limits.get(environmentId);
    if (limit) {
      // Most recent last, so the first is the one to forget.
      this.limits.delete(environmentId);
    } else {
      limit = new LineRateLimit(this.config.logs.linesPerSecond);
      if (this.limits.size >= MAX_LIMITS) this.limits.delete(this.limits.keys().next().value!);
    }
    this.limits.set(environmentId, limit);
    return limit;
  }

  private reportDrops(final = false): void {
    const now = this.clock.now();
    for (const [environmentId, limit] of this.limits) {
      const dropped = limit.report(now.getTime(), final);
      if (dropped) {
        this.logs.write({
          environmentId,
          time: now,
          source: 'berth',
          text: `router lines came too fast: ${dropped} dropped (the limit is ${this.config.logs.linesPerSecond} lines per second per environment); metrics still count every request`,
        });
      }
    }
  }

  async onModuleDestroy(): Promise<void> {
    if (this.reporter) clearInterval(this.reporter);
    this.reportDrops(true);
    this.socket?.close();
    this.socket = null;
  }
}
