import { WantedRows } from './wanted-rows';
import { InstanceRow } from './wanted';

const release = (id: string) => ({ id, version: 1, status: 'deploying', configEncrypted: 'x', image: { tag: 'img' }, formation: [], environment: { name: 'production', sleepingSince: null, app: { id: 'a1', name: 'shop' } } });
const row = (id: string, releaseId: string, status = 'active', sleepingSince: Date | null = null) =>
  ({ id, releaseId, desiredState: 'running', release: { status, environment: { sleepingSince } } }) as unknown as InstanceRow;

function setup() {
  const findMany = jest.fn(async ({ where }: { where: { id: { in: string[] } } }) => where.id.in.filter((id) => id !== 'gone').map(release));
  return { rows: new WantedRows({ release: { findMany } } as never), findMany };
}

describe('WantedRows', () => {
  it("reads each release once, and takes its status and its environment's sleep from the round's rows", async () => {
    const t = setup();
    const asleep = new Date(5);
    const first = await t.rows.complete([row('i1', 'r1'), row('i2', 'r2', 'active', asleep)]);
    expect(t.findMany).toHaveBeenCalledTimes(1);
    expect(first.map((r) => [r.id, r.release.id, r.release.status, r.release.environment.sleepingSince, r.release.environment.app.name])).toEqual([
      ['i1', 'r1', 'active', null, 'shop'],
      ['i2', 'r2', 'active', asleep, 'shop'],
    ]);
    const second = await t.rows.complete([row('i1', 'r1', 'superseded'), row('i2', 'r2'), row('i3', 'r3')]);
    expect(t.findMany).toHaveBeenCalledTimes(2);
    expect(t.findMany.mock.calls[1][0].where.id.in).toEqual(['r3']);
    expect(second.map((r) => [r.release.status, r.release.environment.sleepingSince])).toEqual([['superseded', null], ['active', null], ['active', null]]);
  });

  it('forgets releases no row runs any more, and leaves out a row whose release is gone', async () => {
    const t = setup();
    await t.rows.complete([row('i1', 'r1')]);
    await t.rows.complete([row('i2', 'r2')]);
    const again = await t.rows.complete([row('i1', 'r1'), row('i9', 'gone')]);
    expect(t.findMany.mock.calls.map((c) => c[0].where.id.in)).toEqual([['r1'], ['r2'], ['r1', 'gone']]);
    expect(again.map((r) => r.id)).toEqual(['i1']);
  });
});
