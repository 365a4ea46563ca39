import type { BerthConfig } from '@berth/config';
import type { ContainerEngine } from '@berth/engine';
import { LABELS } from '../container-spec';
import { ContainerRuntime } from './container-runtime';
import type { InstanceDisks } from './instance-disks';

describe('ContainerRuntime.list', () => {
  it("lists this install's containers of the host (and older ones without an install label), never another install's", async () => {
    const containers = [
      { Id: 'mine', State: 'running', Labels: { [LABELS.host]: 'h1', [LABELS.install]: 'a', [LABELS.instance]: 'i1' } },
      { Id: 'legacy', State: 'exited', Labels: { [LABELS.host]: 'h1', [LABELS.instance]: 'i2' } },
      { Id: 'theirs', State: 'running', Labels: { [LABELS.host]: 'h1', [LABELS.install]: 'b', [LABELS.instance]: 'i3' } },
    ];
    const asked: unknown[] = [];
    const engine = { api: { listContainers: async (options: unknown) => (asked.push(options), containers) } } as unknown as ContainerEngine;
    const runtime = new ContainerRuntime(engine, {} as InstanceDisks, { installId: 'a' } as unknown as BerthConfig);
    const listed = await runtime.list('h1');
    expect(listed.map((c) => c.id)).toEqual(['mine', 'legacy']);
    expect(asked).toEqual([{ all: true, filters: { label: [`${LABELS.host}=h1`] } }]);
  });
});
