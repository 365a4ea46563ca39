import { ConfigVarsService, EnvironmentsService } from '@berth/tenant-apps';
import { Clock } from '@berth/common';
import { BerthConfig } from '@berth/config';
import { PrismaService } from '@berth/db';
import { testConfig } from '../support/platform';
import { unique } from '../support/users';

/** A branch's first push creates its preview through EnvironmentsService, with production's config copied by ConfigVarsService. */
describe('creating a preview', () => {
  let db: PrismaService;
  let environments: EnvironmentsService;

  beforeAll(async () => {
    const config = testConfig() as BerthConfig;
    db = new PrismaService(config);
    // Only the database, config and clock are used to create a preview and copy config.
    const configVars = new ConfigVarsService(db, null as never, null as never, config);
    environments = new EnvironmentsService(db, null as never, null as never, null as never, config, new Clock(), null as never, configVars);
  });
  afterAll(async () => db.$disconnect());

  it("copies production's sealed config as it is, under a free name; later changes stay separate", async () => {
    const team = await db.team.create({ data: { name: unique('previews') } });
    const app = await db.app.create({ data: { name: unique('shop'), teamId: team.id } });
    const production = await db.environment.create({ data: { appId: app.id, name: 'production', kind: 'production', branch: 'main' } });
    await db.configVar.createMany({ data: [{ environmentId: production.id, key: 'A', valueEncrypted: 'sealed-a' }, { environmentId: production.id, key: 'B', valueEncrypted: 'sealed-b' }] });

    const preview = await environments.createPreview(app, 'feature/Login');

    expect(preview).toMatchObject({ name: 'feature-login', kind: 'preview', branch: 'feature/Login' });
    const copied = await db.configVar.findMany({ where: { environmentId: preview.id }, orderBy: { key: 'asc' } });
    expect(copied.map((v) => [v.key, v.valueEncrypted])).toEqual([['A', 'sealed-a'], ['B', 'sealed-b']]);
    await db.configVar.deleteMany({ where: { environmentId: production.id, key: 'A' } });
    expect(await db.configVar.count({ where: { environmentId: preview.id } })).toBe(2);
  });
});
