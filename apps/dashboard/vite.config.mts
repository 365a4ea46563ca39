// Builds the dashboard into dist/dashboard, which the api role serves at `/`.
// `npm run dev:dashboard` serves it with hot reload and sends /api to the platform on this
// machine: PORT as `npm start` reads it (environment, then .env), 3000 by default.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { loadEnvFile } from '../../scripts/env.mjs';

loadEnvFile();
const platform = `http://localhost:${process.env.PORT || 3000}`;

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    rolldownOptions: {
      onwarn(warning, warn) {
        // react-router marks its modules "use client" for React Server Components; meaningless in a plain SPA bundle.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: { '/api': platform, '/git': platform, '/healthz': platform },
  },
});
