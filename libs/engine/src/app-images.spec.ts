import type { BerthConfig } from '@berth/config';
import type { ContainerEngine } from './container-engine';
import { AppImages, IMAGE_LABELS } from './app-images';

interface FakeImage {
  Id: string;
  RepoTags: string[];
  Labels: Record<string, string>;
  inUse?: boolean;
}

/** An engine that holds `images`; removing a name of an image a container uses answers 409 like Podman and Docker. */
function fakeEngine(images: FakeImage[]) {
  const removed: string[] = [];
  const filters: string[] = [];
  const api = {
    listImages: async ({ filters: json }: { filters: string }) => {
      const [label] = (JSON.parse(json) as { label: string[] }).label;
      filters.push(label);
      const [key, value] = label.split('=');
      return images.filter((image) => image.Labels[key] === value);
    },
    getImage: (name: string) => ({
      remove: async () => {
        const image = images.find((i) => i.Id === name || i.RepoTags.includes(name));
        if (!image) throw Object.assign(new Error('no such image'), { statusCode: 404 });
        if (image.inUse) throw Object.assign(new Error('image is in use by a container'), { statusCode: 409 });
        removed.push(name);
      },
    }),
  };
  return { engine: { api } as unknown as ContainerEngine, removed, filters };
}

const ours = 'install-1';
const config = { installId: ours } as BerthConfig;
const image = (id: string, appId: string, extra: Partial<FakeImage> = {}): FakeImage => ({
  Id: `sha256:${id}`,
  RepoTags: [`localhost/berth/app:${id}`],
  Labels: { [IMAGE_LABELS.installation]: ours, [IMAGE_LABELS.appId]: appId },
  ...extra,
});

describe('AppImages.pruneDeletedApps', () => {
  it("removes this installation's images of deleted apps by name, and asks only about the apps it saw", async () => {
    const { engine, removed, filters } = fakeEngine([
      image('a1', 'kept-app'),
      image('b1', 'gone-app'),
      image('b2', 'gone-app', { RepoTags: [] }),
      { ...image('c1', 'gone-app'), Labels: { [IMAGE_LABELS.installation]: 'another-install', [IMAGE_LABELS.appId]: 'gone-app' } },
    ]);
    const asked: string[][] = [];
    const count = await new AppImages(engine, config).pruneDeletedApps(async (ids) => (asked.push(ids), new Set(['kept-app'])));
    expect(filters).toEqual([`berth.install=${ours}`]);
    expect(asked).toEqual([['kept-app', 'gone-app']]);
    expect(removed).toEqual(['localhost/berth/app:b1', 'sha256:b2']);
    expect(count).toBe(2);
  });

  it('leaves an image a container still uses for a later round', async () => {
    const { engine, removed } = fakeEngine([image('b1', 'gone-app', { inUse: true }), image('b2', 'gone-app')]);
    expect(await new AppImages(engine, config).pruneDeletedApps(async () => new Set())).toBe(1);
    expect(removed).toEqual(['localhost/berth/app:b2']);
  });

  it('does not look up apps when the engine holds none of this installation\'s images', async () => {
    const { engine } = fakeEngine([]);
    const existing = jest.fn();
    expect(await new AppImages(engine, config).pruneDeletedApps(existing)).toBe(0);
    expect(existing).not.toHaveBeenCalled();
  });
});
