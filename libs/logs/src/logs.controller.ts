import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentUser, Principal } from '@berth/accounts';
import { Clock, openEventStream } from '@berth/common';
import { formatLine, lineJson, LogLine } from './log-line';
import { parseLogQuery } from './log-query';
import { LogsService } from './logs.service';

/** SSE comment lines keep proxies from closing a quiet stream (every ~15 s of polls). */
const KEEPALIVE_EVERY_IDLE = 30;

@ApiTags('logs')
@ApiBearerAuth()
@Controller('api/apps/:app/environments/:env/logs')
export class LogsController {
  constructor(
    private readonly logs: LogsService,
    private readonly clock: Clock,
  ) {}

  /**
   * The environment's runtime log: its apps' output (`app[web.1]`), Berth's events (`berth`)
   * and router lines, merged in time order. Plain text in Heroku's format, JSON lines with
   * `Accept: application/json` (or `format=json`); `follow=true` sends the tail, then new
   * lines as server-sent events (ids are the lines' ids: send `Last-Event-ID` to resume).
   */
  @Get()
  @ApiProduces('text/plain', 'application/json', 'text/event-stream')
  @ApiQuery({ name: 'tail', required: false, description: 'newest lines to return, 1 to 10000, default 100' })
  @ApiQuery({ name: 'since', required: false, description: 'ISO time, Unix seconds, or 30s / 15m / 2h / 7d ago' })
  @ApiQuery({ name: 'until', required: false })
  @ApiQuery({ name: 'process', required: false, description: 'process type, e.g. web' })
  @ApiQuery({ name: 'instance', required: false, description: 'e.g. web.1' })
  @ApiQuery({ name: 'source', required: false, enum: ['app', 'router', 'berth'] })
  @ApiQuery({ name: 'release', required: false, description: 'v3 or 3' })
  @ApiQuery({ name: 'q', required: false, description: 'text the line contains (case-insensitive)' })
  @ApiQuery({ name: 'follow', required: false, description: 'true: stream new lines (server-sent events)' })
  @ApiQuery({ name: 'format', required: false, enum: ['text', 'json'] })
  async get(@CurrentUser() user: Principal, @Param('app') app: string, @Param('env') env: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const query = parseLogQuery(req.query as Record<string, unknown>, req.headers.accept, this.clock.now());
    const environment = await this.logs.environment(user.userId, app, env);
    const render = (line: LogLine) => (query.format === 'json' ? JSON.stringify(lineJson(line)) : formatLine(line));

    if (!query.follow) {
      const lines = await this.logs.tail(environment.id, query, query.tail);
      if (query.format === 'json') {
        res.status(200).json(lines.map(lineJson));
        return;
      }
      res.status(200).type('text/plain; charset=utf-8').send(lines.map((line) => `${formatLine(line)}\n`).join(''));
      return;
    }

    const clientGone = openEventStream(res);
    // One line per event; a line's own newlines are never there (lines are split on them).
    const send = (lines: LogLine[]) => {
      if (lines.length) res.write(lines.map((line) => `id: ${line.id}\ndata: ${render(line).replace(/[\r\n]/g, ' ')}\n\n`).join(''));
    };
    const lastEventId = String(req.headers['last-event-id'] ?? '');
    let afterId: bigint | undefined;
    if (/^\d{1,19}$/.test(lastEventId)) afterId = BigInt(lastEventId);
    else {
      const history = await this.logs.tail(environment.id, query, query.tail);
      send(history);
      if (history.length) afterId = BigInt(history[history.length - 1].id);
    }
    let idle = 0;
    try {
      for await (const lines of this.logs.follow(environment.id, query, { afterId, signal: clientGone })) {
        if (lines.length) {
          idle = 0;
          send(lines);
        } else if (++idle % KEEPALIVE_EVERY_IDLE === 0) res.write(': waiting for lines\n\n');
      }
    } finally {
      if (!clientGone.aborted) {
        res.write('event: end\ndata: {"reason":"the environment was deleted"}\n\n');
        res.end();
      }
    }
  }
}
