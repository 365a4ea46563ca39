// The .env loading of libs/config (loadEnvFile) for scripts that run without the platform's
// code: values already in the environment win, BERTH_ENV_FILE names another file (relative to
// the working directory, as for the platform) and `none` skips it.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export function loadEnvFile() {
  if (process.env.BERTH_ENV_FILE === 'none') return;
  const file = resolve(process.env.BERTH_ENV_FILE ?? '.env');
  if (existsSync(file)) process.loadEnvFile(file);
}
