import { randomBytes } from 'node:crypto';
import { BerthConfig } from '@berth/config';
import { ContainerEngine } from '@berth/engine';
import { AppNetworks } from '../../libs/agent/src/host/app-networks';
import { testConfig } from '../support/platform';

/**
 * Two installs of Berth sharing one engine (test runs, benchmarks, a developer's own): each
 * prunes only the networks it made. Before install labels, one install's prune removed the
 * other's live app networks and its deploys failed with "network not found".
 */
describe('installs sharing one container engine', () => {
  const suffix = randomBytes(3).toString('hex');
  const configA = testConfig({ BERTH_INSTALL_ID: `berth-test-a-${suffix}` }) as unknown as BerthConfig;
  const configB = testConfig({ BERTH_INSTALL_ID: `berth-test-b-${suffix}` }) as unknown as BerthConfig;
  const engine = new ContainerEngine(configA);
  const installA = new AppNetworks(engine, configA);
  const installB = new AppNetworks(engine, configB);
  const appOfA = { id: `testa${suffix}`, name: `a-${suffix}` };
  const appOfB = { id: `testb${suffix}`, name: `b-${suffix}` };

  afterAll(async () => {
    for (const app of [appOfA, appOfB]) await engine.api.getNetwork(installA.nameOf(app.id)).remove().catch(() => undefined);
  });

  const exists = (name: string) =>
    engine.api
      .getNetwork(name)
      .inspect()
      .then(
        () => true,
        () => false,
      );

  it("prunes its own deleted apps' networks and never another install's", async () => {
    const networkA = await installA.ensure(appOfA);
    const networkB = await installB.ensure(appOfB);
    // Install A's database knows none of these apps: to A, both look deleted.
    await installA.prune(async () => new Set());
    expect(await exists(networkA)).toBe(false);
    expect(await exists(networkB)).toBe(true);
    // It asks which apps exist about the networks it listed, so an app made before it asked
    // (its network made by another agent meanwhile) is never taken for deleted.
    const asked: string[][] = [];
    await installB.prune(async (ids) => {
      asked.push(ids);
      return new Set(ids.filter((id) => id === appOfB.id));
    });
    expect(asked).toEqual([expect.arrayContaining([appOfB.id])]);
    expect(await exists(networkB)).toBe(true);
  });
});
