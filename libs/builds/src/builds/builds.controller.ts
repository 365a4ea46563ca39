import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentUser, Principal } from '@berth/accounts';
import { invalidInput, openEventStream, uuidOr404 } from '@berth/common';
import { BuildEnd, BuildLog } from '../build-log/build-log.service';
import { BuildsService } from './builds.service';

const BUILD_ID = uuidOr404('build_not_found', 'No such build. List builds with GET /api/apps/:app/builds.');
/** SSE comment lines keep proxies from closing a quiet stream. */
const KEEPALIVE_EVERY_IDLE = 15;
const STATUS_CHECK_EVERY_IDLE = 5;
/**
 * After a successful build's end, how long the stream waits for the rest (its release) when
 * the log is never closed (the push that releases it went away): longer than a rollout takes.
 */
const AFTER_END_PATIENCE_MS = 10 * 60_000;

@ApiTags('builds')
@ApiBearerAuth()
@Controller('api/apps/:app/builds')
export class BuildsController {
  constructor(
    private readonly builds: BuildsService,
    private readonly log: BuildLog,
  ) {}

  /** The app's builds, newest first, without their logs. */
  @Get()
  @ApiQuery({ name: 'environment', required: false })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 200, default 50' })
  list(@CurrentUser() user: Principal, @Param('app') app: string, @Query('environment') environment?: string, @Query('limit') limit?: string) {
    const take = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(take) || take < 1 || take > 200) throw invalidInput({ limit: 'must be a whole number from 1 to 200' });
    return this.builds.list(user.userId, app, { environment, limit: take });
  }

  /** One build with its full log. */
  @Get(':id')
  get(@CurrentUser() user: Principal, @Param('app') app: string, @Param('id', BUILD_ID) id: string) {
    return this.builds.get(user.userId, app, id);
  }

  /**
   * The build's log as server-sent events: every line so far, then new lines as they come
   * (`data: <line>`), those of the release that follows a successful build included, then
   * `event: end` with `{"status", "failureReason"}` of the build. Send
   * `Last-Event-ID` to resume after the last event seen. Works with an Authorization header,
   * for clients reading it with fetch.
   */
  @Get(':id/log')
  @ApiProduces('text/event-stream')
  async stream(@CurrentUser() user: Principal, @Param('app') app: string, @Param('id', BUILD_ID) id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const build = await this.builds.find(user.userId, app, id);
    const clientGone = openEventStream(res);
    const send = (text: string, eventId?: string) => {
      const lines = text.replace(/\n$/, '').split('\n');
      res.write(lines.map((line, i) => `${i === lines.length - 1 && eventId ? `id: ${eventId}\n` : ''}data: ${line}\n\n`).join(''));
    };
    const end = (status: string, failureReason: string | null) => {
      res.write(`event: end\ndata: ${JSON.stringify({ status, failureReason })}\n\n`);
      res.end();
    };

    const finished = build.status === 'succeeded' || build.status === 'failed';
    if (finished && !(await this.log.isLive(id))) {
      // An old build: its live log has expired; the stored one is complete.
      if (build.log) send(build.log);
      return end(build.status, build.failureReason);
    }

    const lastEventId = String(req.headers['last-event-id'] ?? '');
    let idle = 0;
    // A failed build's end is the end; a successful one's release appends to the log until the push closes it.
    let buildEnd: BuildEnd | null = null;
    let endedAt = 0;
    let logClosed = false;
    for await (const entry of this.log.follow(id, { after: /^\d+-\d+$/.test(lastEventId) ? lastEventId : undefined, signal: clientGone })) {
      if ('text' in entry) send(entry.text, entry.id);
      else if ('end' in entry) {
        if (entry.end.status === 'failed' || logClosed) return end(entry.end.status, entry.end.failureReason);
        buildEnd = entry.end;
        endedAt = Date.now();
      } else if ('closed' in entry) {
        logClosed = true;
        if (buildEnd) return end(buildEnd.status, buildEnd.failureReason);
        // Resumed (Last-Event-ID) past the build's end: its outcome is on the row.
        const row = await this.builds.find(user.userId, app, id).catch(() => null);
        if (!row) return end('failed', 'the build is gone');
        if (row.status === 'succeeded' || row.status === 'failed') return end(row.status, row.failureReason);
      } else if (buildEnd) {
        if (++idle % KEEPALIVE_EVERY_IDLE === 0) res.write(': still releasing\n\n');
        if (Date.now() - endedAt > AFTER_END_PATIENCE_MS) return end(buildEnd.status, buildEnd.failureReason);
      } else {
        idle++;
        if (idle % KEEPALIVE_EVERY_IDLE === 0) res.write(': still building\n\n');
        if (idle % STATUS_CHECK_EVERY_IDLE === 0) {
          // The live log may have expired mid-build, or a build may have ended without its end entry.
          const row = await this.builds.find(user.userId, app, id).catch(() => null);
          if (!row) return end('failed', 'the build is gone');
          if ((row.status === 'succeeded' || row.status === 'failed') && !(await this.log.isLive(id))) return end(row.status, row.failureReason);
        }
      }
    }
  }
}
