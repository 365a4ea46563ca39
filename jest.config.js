// Three tiers of tests (see README "Tests"): unit specs next to the code, medium tests against
// real PostgreSQL and Redis, and e2e tests with real git, containers and HTTP; plus the
// dashboard driven in a real browser (needs dist/dashboard: `npm test` builds it first).
const { compilerOptions } = require('./tsconfig.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);

const transform = {
  '^.+\\.(t|j)s$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
      module: { type: 'commonjs' },
    },
  ],
};

const base = { rootDir: __dirname, testEnvironment: 'node', transform, moduleNameMapper, setupFiles: ['reflect-metadata'] };
const withServices = { ...base, globalSetup: '<rootDir>/test/support/global-setup.ts', globalTeardown: '<rootDir>/test/support/global-teardown.ts' };

module.exports = {
  // A global option: Jest ignores testTimeout inside a project. Tests against real services get
  // 30 s by default; e2e and browser files that push and build set more with jest.setTimeout.
  testTimeout: 30_000,
  // A handle a test file leaks (a timer of a platform it closed) must not keep the run, and CI,
  // waiting after the last test; leaks still show as "Jest did not exit" warnings when run alone.
  forceExit: true,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/*/src/**/*.spec.ts'] },
    { ...withServices, displayName: 'medium', testMatch: ['<rootDir>/test/medium/**/*.test.ts'] },
    { ...withServices, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
    { ...withServices, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.test.ts'] },
    // Roles killed under load on real processes (npm start with BERTH_PROCESSES=per-role).
    { ...withServices, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.test.ts'] },
    // Berth's own container images (docker/) built from scratch: about 6 minutes, so only
    // `npm run test:containers` runs them, not `npm test` (and CI), which must stay under 45.
    ...(process.env.BERTH_TEST_CONTAINERS === '1' ? [{ ...withServices, displayName: 'containers', testMatch: ['<rootDir>/test/containers/**/*.test.ts'] }] : []),
  ],
};
