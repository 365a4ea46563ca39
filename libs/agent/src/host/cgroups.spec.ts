import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cgroups } from './cgroups';

const ID = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

/** Cgroups over a directory laid out as `/sys/fs/cgroup` and `/proc` are (v1, as this host has). */
class CgroupsIn extends Cgroups {
  constructor(readonly base: string) {
    super();
    (this as unknown as { root: string }).root = join(base, 'cgroup');
    (this as unknown as { proc: string }).proc = join(base, 'proc');
  }
}

describe('Cgroups: the kernel freezer (cgroup v1)', () => {
  let base: string;
  let cgroups: CgroupsIn;
  const container = (id: string, pid: number, state = 'THAWED') => {
    const dir = join(base, 'cgroup', 'freezer', 'libpod_parent', `libpod-${id}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'freezer.state'), state);
    mkdirSync(join(base, 'proc', String(pid)), { recursive: true });
    writeFileSync(join(base, 'proc', String(pid), 'cgroup'), `6:freezer:/libpod_parent/libpod-${id}\n4:memory:/libpod_parent/libpod-${id}\n0::/libpod_parent/libpod-${id}\n`);
    return dir;
  };

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'berth-cgroups-'));
    mkdirSync(join(base, 'cgroup', 'freezer'), { recursive: true });
    writeFileSync(join(base, 'cgroup', 'freezer', 'tasks'), '');
    cgroups = new CgroupsIn(base);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it("finds a container's freezer through its process, only in a cgroup named after that container", () => {
    const dir = container(ID, 41);
    expect(cgroups.freezerOf(41, ID)).toEqual({ dir, version: 1 });
    // The pid is some other container's process (or this machine's, when the engine runs elsewhere).
    expect(cgroups.freezerOf(41, OTHER)).toBeNull();
    expect(cgroups.freezerOf(42, ID)).toBeNull();
  });

  it('freezes and thaws by writing freezer.state, and says which state it is in', async () => {
    container(ID, 41);
    const freezer = cgroups.freezerOf(41, ID)!;
    expect(cgroups.isFrozen(freezer)).toBe(false);
    await cgroups.freeze(freezer);
    expect(readFileSync(join(freezer.dir, 'freezer.state'), 'utf8')).toBe('FROZEN');
    expect(cgroups.isFrozen(freezer)).toBe(true);
    expect(cgroups.thaw(freezer)).toBe(true);
    expect(readFileSync(join(freezer.dir, 'freezer.state'), 'utf8')).toBe('THAWED');
    expect(cgroups.isFrozen(freezer)).toBe(false);
    rmSync(freezer.dir, { recursive: true });
    expect(cgroups.thaw(freezer)).toBe(false);
    expect(cgroups.isFrozen(freezer)).toBe(false);
  });

  it('lists the frozen containers of the machine by id (what an earlier agent froze)', () => {
    const frozen = container(ID, 41, 'FROZEN');
    container(OTHER, 42, 'THAWED');
    mkdirSync(join(base, 'cgroup', 'freezer', 'libpod_parent', 'conmon'), { recursive: true });
    expect(cgroups.frozenContainers()).toEqual(new Map([[ID, { dir: frozen, version: 1 }]]));
  });
});
