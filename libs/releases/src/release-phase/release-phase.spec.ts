import { INTERRUPTED_REASON, LastLine, releaseCommandOf, releasePhaseFailure, releasePhaseStep } from './release-phase';
import { formationForImage } from '../formation/formation';

const size = { memoryMb: 256, cpuMillis: 500, pidsLimit: 256, diskMb: 512 };

describe('release phase', () => {
  it('finds the release command among the process types', () => {
    expect(releaseCommandOf({ web: 'node server.js', release: 'node migrate.js' })).toBe('node migrate.js');
    expect(releaseCommandOf({ web: 'node server.js' })).toBeNull();
    expect(releaseCommandOf({ release: null })).toBeNull();
    expect(releaseCommandOf(null)).toBeNull();
    expect(releaseCommandOf(['release'])).toBeNull();
  });

  it('never scales the release process type', () => {
    const formation = formationForImage({ web: 'node server.js', release: 'node migrate.js', worker: 'node worker.js' }, [], size);
    expect(formation.map((line) => line.processType)).toEqual(['web', 'worker']);
  });

  it('runs the phase once: not begun, ended, or begun by an attempt that died', () => {
    const at = new Date();
    expect(releasePhaseStep(null, { releasePhaseStartedAt: null, releasePhaseEndedAt: null })).toBe('none');
    expect(releasePhaseStep('x', { releasePhaseStartedAt: null, releasePhaseEndedAt: null })).toBe('run');
    expect(releasePhaseStep('x', { releasePhaseStartedAt: at, releasePhaseEndedAt: at })).toBe('done');
    expect(releasePhaseStep('x', { releasePhaseStartedAt: at, releasePhaseEndedAt: null })).toBe('interrupted');
    expect(INTERRUPTED_REASON).toMatch(/redeploy/);
  });

  it('says why it failed with the exit code and the last line printed', () => {
    const last = new LastLine();
    last.write('migrating…\nError: relation "users" ');
    last.write('already exists\n\n  \n');
    expect(releasePhaseFailure({ exitCode: 3, timedOut: false }, last.value, 60_000)).toBe('release command exited with code 3: Error: relation "users" already exists');
    expect(releasePhaseFailure({ exitCode: 0, timedOut: false }, last.value, 60_000)).toBeNull();
    expect(releasePhaseFailure({ exitCode: 137, timedOut: true }, 'still going', 90_000)).toBe(
      'release command did not finish within 90 s (RELEASE_PHASE_TIMEOUT_SECONDS) and was stopped: still going',
    );
    expect(releasePhaseFailure({ exitCode: 1, timedOut: false }, '', 60_000)).toBe('release command exited with code 1 (it printed nothing)');
  });

  it('keeps the last line short and without terminal colours, also when it has no newline', () => {
    const last = new LastLine();
    last.write(`\x1b[31mfailed\x1b[0m: ${'x'.repeat(400)}`);
    expect(last.value.startsWith('failed: xxx')).toBe(true);
    expect(last.value.length).toBe(300);
  });
});
