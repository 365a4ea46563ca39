import { ConfigError, parseConfig } from '../config';

const KEY = 'ab'.repeat(32);

describe('placement configuration', () => {
  it('books declared capacity exactly unless told otherwise', () => {
    expect(parseConfig({ BERTH_SECRET_KEY: KEY }).placement).toEqual({ overcommit: { memoryMb: 1, cpuMillis: 1, pidsLimit: 1 }, requestRatios: { memoryMb: 1, cpuMillis: 0.05 } });
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
