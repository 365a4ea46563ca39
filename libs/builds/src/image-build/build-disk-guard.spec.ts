import { rootUpperDir } from './build-disk-guard';

describe('rootUpperDir', () => {
  it("finds the writable layer of a build step's root filesystem", () => {
    const mountinfo = [
      '433 390 0:137 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/containers/storage/overlay/l/SWEB3,upperdir=/var/lib/containers/storage/overlay/f91d/diff,workdir=/var/lib/containers/storage/overlay/f91d/work,uuid=on',
      '434 433 0:140 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
    ].join('\n');
    expect(rootUpperDir(mountinfo)).toBe('/var/lib/containers/storage/overlay/f91d/diff');
  });

  it('finds none for a process whose root is no overlay', () => {
    expect(rootUpperDir('22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda rw')).toBeNull();
    expect(rootUpperDir('')).toBeNull();
  });
});
