import { crashCause, CrashFacts } from './crash-cause';

const base: CrashFacts = { exitCode: 1, memoryMb: 256, kernelSawOomKill: false, cgroupOomKills: 0, hostOomKillsRose: false };

describe('crash cause', () => {
  it('says an exit is an exit', () => {
    expect(crashCause(base)).toBe('exited with code 1');
    expect(crashCause({ ...base, exitCode: 137 })).toBe('was killed (SIGKILL)');
  });

  it('reports an OOM kill of the main process', () => {
    expect(crashCause({ ...base, exitCode: 137, kernelSawOomKill: true })).toBe('ran out of memory at 256 MB and was killed');
  });

  it('reports an OOM kill of a child whose parent exited with code 1', () => {
    expect(crashCause({ ...base, kernelSawOomKill: true })).toBe('ran out of memory at 256 MB and was killed');
    expect(crashCause({ ...base, kernelSawOomKill: null, cgroupOomKills: 1 })).toMatch(/^ran out of memory at 256 MB/);
  });

  it('takes the host-wide counter only for a bare SIGKILL when the kernel log cannot be read', () => {
    expect(crashCause({ ...base, exitCode: 137, kernelSawOomKill: null, hostOomKillsRose: true })).toMatch(/^ran out of memory/);
    expect(crashCause({ ...base, exitCode: 1, kernelSawOomKill: null, hostOomKillsRose: true })).toBe('exited with code 1');
    expect(crashCause({ ...base, exitCode: 137, kernelSawOomKill: false, hostOomKillsRose: true })).toBe('was killed (SIGKILL)');
  });
});
