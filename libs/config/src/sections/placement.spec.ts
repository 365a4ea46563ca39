import { ConfigError, parseConfig } from '../config';

const KEY = 'ab'.repeat(32);

describe('placement configuration', () => {
  it('books an eighth of the memory limit, a two-hundredth of the CPU quota, and pids 16 times over unless told otherwise', () => {
    expect(parseConfig({ BERTH_SECRET_KEY: KEY }).placement).toEqual({ overcommit: { memoryMb: 1, cpuMillis: 1, pidsLimit: 16 }, requestRatios: { memoryMb: 0.125, cpuMillis: 0.005 } });
  });

  it('takes request ratios, and refuses ones out of range', () => {
    const config = parseConfig({ BERTH_SECRET_KEY: KEY, PLACEMENT_MEMORY_REQUEST_RATIO: '1', PLACEMENT_CPU_REQUEST_RATIO: '0.05' });
    expect(config.placement.requestRatios).toEqual({ memoryMb: 1, cpuMillis: 0.05 });
    const bad = () => parseConfig({ BERTH_SECRET_KEY: KEY, PLACEMENT_MEMORY_REQUEST_RATIO: '0', PLACEMENT_CPU_REQUEST_RATIO: '2' });
    expect(bad).toThrow(/PLACEMENT_MEMORY_REQUEST_RATIO: .*\(got "0"\)/);
    expect(bad).toThrow(/PLACEMENT_CPU_REQUEST_RATIO: .*\(got "2"\)/);
  });

  it('takes an overcommit ratio per resource', () => {
    const config = parseConfig({ BERTH_SECRET_KEY: KEY, PLACEMENT_OVERCOMMIT_CPU: '4', PLACEMENT_OVERCOMMIT_MEMORY: '1.25', PLACEMENT_OVERCOMMIT_PIDS: '2' });
    expect(config.placement.overcommit).toEqual({ memoryMb: 1.25, cpuMillis: 4, pidsLimit: 2 });
  });

  it('refuses ratios that are not positive numbers in range, naming each', () => {
    const bad = () => parseConfig({ BERTH_SECRET_KEY: KEY, PLACEMENT_OVERCOMMIT_CPU: 'lots', PLACEMENT_OVERCOMMIT_MEMORY: '0', PLACEMENT_OVERCOMMIT_PIDS: '100' });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/PLACEMENT_OVERCOMMIT_CPU: expected a number \(got "lots"\)/);
    expect(bad).toThrow(/PLACEMENT_OVERCOMMIT_MEMORY: .*\(got "0"\)/);
    expect(bad).toThrow(/PLACEMENT_OVERCOMMIT_PIDS: .*\(got "100"\)/);
  });
});
