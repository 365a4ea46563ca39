import { BerthConfig } from '@berth/config';
import { EnvironmentStatusService } from '@berth/tenant-apps';
import { routableInstances } from '@berth/contracts';
import { PrismaService } from '@berth/db';
import { testConfig } from '../support/platform';
import { unique } from '../support/users';

/**
 * "Routable" has one definition (@berth/contracts ROUTABLE_INSTANCE): what the router sends
 * requests to and what an environment's status counts as serving must agree, whatever the
 * state of the instance's host.
 */
describe('routable instances: the router and the status agree', () => {
  let db: PrismaService;
  let statuses: EnvironmentStatusService;

  beforeAll(async () => {
    const config = testConfig() as BerthConfig;
    db = new PrismaService(config);
    statuses = new EnvironmentStatusService(db, config);
  });
  afterAll(async () => db.$disconnect());

  async function servingEnvironment(): Promise<{ environmentId: string; hostId: string }> {
    const team = await db.team.create({ data: { name: unique('routable') } });
    const app = await db.app.create({ data: { name: unique('routable'), teamId: team.id } });
    const environment = await db.environment.create({ data: { appId: app.id, name: 'production', kind: 'production', branch: 'main' } });
    const release = await db.release.create({ data: { environmentId: environment.id, version: 1, configEncrypted: '', description: 'test', status: 'active' } });
    await db.formationEntry.create({ data: { releaseId: release.id, processType: 'web', quantity: 1, memoryMb: 256, cpuMillis: 500, pidsLimit: 100, diskMb: 1024 } });
    const host = await db.host.create({ data: { name: unique('routable-host'), address: '127.0.0.1', memoryMb: 4096, cpuMillis: 2000, pidsLimit: 10_000 } });
    await db.instance.create({
      data: {
        environmentId: environment.id, releaseId: release.id, processType: 'web', index: 1, hostId: host.id,
        memoryMb: 256, cpuMillis: 500, pidsLimit: 100, desiredState: 'running', actualState: 'running', healthy: true, hostPort: 40_001, containerId: 'c1',
      },
    });
    return { environmentId: environment.id, hostId: host.id };
  }

  const serving = async (environmentId: string) => ({
    routes: (await routableInstances(db, environmentId)).length,
    status: (await statuses.facts(environmentId))!.routable,
    state: (await statuses.status(environmentId))!.state,
  });

  it('serves from a host whose agent went silent while its instances answer (it is not down)', async () => {
    const { environmentId, hostId } = await servingEnvironment();
    await db.host.update({ where: { id: hostId }, data: { lastHeartbeatAt: new Date(Date.now() - 3600_000) } });
    expect(await serving(environmentId)).toEqual({ routes: 1, status: 1, state: 'running' });
  });

  it('does not serve from a host marked down, in the status either', async () => {
    const { environmentId, hostId } = await servingEnvironment();
    await db.host.update({ where: { id: hostId }, data: { state: 'down' } });
    const now = await serving(environmentId);
    expect(now).toMatchObject({ routes: 0, status: 0 });
    expect(now.state).not.toBe('running');
  });

  it("asleep() (the router's one query for a held request) agrees with status() saying sleeping", async () => {
    const { environmentId } = await servingEnvironment();
    const agree = async () => ({ asleep: await statuses.asleep(environmentId), sleeping: (await statuses.status(environmentId))!.state === 'sleeping' });
    expect(await agree()).toEqual({ asleep: false, sleeping: false });
    await db.instance.updateMany({ where: { environmentId }, data: { desiredState: 'stopped', actualState: 'stopped', healthy: false } });
    await db.environment.update({ where: { id: environmentId }, data: { sleepingSince: new Date() } });
    expect(await agree()).toEqual({ asleep: true, sleeping: true });
    // A newer release rolling out: status says starting, not sleeping, and so does asleep().
    await db.release.create({ data: { environmentId, version: 2, configEncrypted: '', description: 'test', status: 'pending' } });
    expect(await agree()).toEqual({ asleep: false, sleeping: false });
  });
});
