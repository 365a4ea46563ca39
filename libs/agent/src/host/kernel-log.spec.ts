import { oomKilledContainer } from './kernel-log';

const id = '2f66cc79cca2d6f1df5850f4918d41d78bdcc8f491a60fe8d48469e8daa7e10c';

describe('kernel log records', () => {
  it('name the container whose memory cgroup ran out (cgroupfs, v1)', () => {
    const record = `6,9787,4553362985,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=libpod-${id},mems_allowed=0,oom_memcg=/libpod_parent/libpod-${id},task_memcg=/libpod_parent/libpod-${id},task=tail,pid=30972,uid=65534`;
    expect(oomKilledContainer(record)).toBe(id);
  });

  it('name it under systemd too', () => {
    expect(oomKilledContainer(`6,1,2,-;oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/machine.slice/libpod-${id}.scope,task_memcg=/x`)).toBe(id);
  });

  it('ignore everything else, and OOMs of the whole host', () => {
    expect(oomKilledContainer(`3,9788,4553362995,-;Memory cgroup out of memory: Killed process 30972 (tail)`)).toBeNull();
    expect(oomKilledContainer('6,1,2,-;oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),oom_memcg=/,task_memcg=/user.slice,task=java')).toBeNull();
  });
});
