import { Controller, Get, Head, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Public } from '@berth/accounts';
import { notFound } from '@berth/common';
import { dashboardDirectory } from './dashboard-files';

/** Where `npm run build` packs the CLI (scripts/pack-cli.mjs): dist/cli/berth.tgz. */
export function cliPackagePath(): string {
  return join(dirname(dashboardDirectory()), 'cli', 'berth.tgz');
}

/**
 * The berth CLI as an npm tarball with no dependencies, so any machine that reaches Berth can
 * install it without a public registry: `npm install -g http://<berth>/cli/berth.tgz`.
 */
@ApiExcludeController()
@Controller('cli')
export class CliPackageController {
  @Public()
  @Get('berth.tgz')
  @Head('berth.tgz')
  download(@Res() res: Response): void {
    const path = cliPackagePath();
    if (!existsSync(path)) throw notFound('cli_not_built', 'The CLI package has not been built on this Berth. Run npm run build (or npm run build:cli) where Berth runs.');
    res.setHeader('Cache-Control', 'no-cache');
    res.type('application/gzip').sendFile(path);
  }
}
