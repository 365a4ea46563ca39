import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Where `npm run build` puts the dashboard: dist/dashboard at the repository root. Found by
 * walking up from this file, which sits in libs/ when run from source (tests) and in
 * dist/libs/ when built.
 */
export function dashboardDirectory(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'berth') return join(dir, 'dist', 'dashboard');
    if (dirname(dir) === dir) return join(process.cwd(), 'dist', 'dashboard');
  }
}
