import { claimHosts, PlacementConflict, placeWithRetry, SqlExecutor, Transactor } from './commit';
import { loadClusterInput } from './load';
import { ClusterSnapshot } from './snapshot';
import { place } from './stack';
import { cluster, host, res } from './testing';

/** A stand-in for the database: hosts with versions, honouring the claim statement's WHERE clause. */
class FakeHosts implements SqlExecutor, Transactor<FakeHosts> {
  async $transaction<R>(work: (tx: FakeHosts) => Promise<R>): Promise<R> {
    return work(this);
  }

  readonly statements: unknown[][] = [];
  constructor(readonly versions: Map<string, number>) {}
  async $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number> {
    this.statements.push(values);
    expect(query).toMatch(/^UPDATE "Host" SET version = version \+ 1 WHERE id = \$1::uuid AND version = \$2 AND state = 'ready' AND cordoned = false$/);
    const [id, version] = values as [string, number];
    if (this.versions.get(id) !== version) return 0;
    this.versions.set(id, version + 1);
    return 1;
  }
}

const request = { group: 'env/web', resources: res(512, 100, 10), count: 3 };

describe('claimHosts', () => {
  it('bumps each claimed host from the version the plan saw, in host id order', async () => {
    const plan = place(cluster([host('b', res(4096, 4000, 1000), { version: 2 }), host('a', res(4096, 4000, 1000), { version: 5 }), host('c', res(4096, 4000, 1000), { version: 0 })]), request);
    const db = new FakeHosts(new Map([['id-a', 5], ['id-b', 2], ['id-c', 0]]));
    await claimHosts(db, plan);
    expect(db.statements).toEqual([['id-a', 5], ['id-b', 2], ['id-c', 0]]);
    expect([...db.versions.values()]).toEqual([6, 3, 1]);
  });

  it('throws a conflict naming the host that moved on', async () => {
    const plan = place(cluster([host('a', res(4096, 4000, 1000), { version: 5 })]), request);
    const db = new FakeHosts(new Map([['id-a', 6]]));
    const error = await claimHosts(db, plan).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlacementConflict);
    expect((error as PlacementConflict).message).toBe(
      'host a changed since version 5 (another placement committed, or it was cordoned, drained or went down): plan again from a fresh snapshot',
    );
  });
});

describe('placeWithRetry', () => {
  const hosts = () => [host('a', res(4096, 4000, 1000), { version: 1 })];

  it('plans again from a fresh snapshot after a conflict, and commits', async () => {
    const db = new FakeHosts(new Map([['id-a', 2]]));
    const loads: number[] = [];
    const writes: string[] = [];
    const committed = await placeWithRetry(db, {
      load: async () => {
        // The first read is stale (version 1); the second sees the database.
        const version = loads.length === 0 ? 1 : db.versions.get('id-a')!;
        loads.push(version);
        return cluster(hosts().map((h) => ({ ...h, version })));
      },
      plan: (snapshot) => place(snapshot, request),
      write: async (_, plan) => {
        writes.push(plan.claims[0].hostName);
        return plan.placements.length;
      },
    });
    expect(loads).toEqual([1, 2]);
    expect(committed.attempts).toBe(2);
    expect(committed.result).toBe(3);
    expect(writes).toEqual(['a']); // nothing is written for the conflicting plan
    expect(db.versions.get('id-a')).toBe(3);
  });

  it('gives up with the conflict after the allowed attempts', async () => {
    const db = new FakeHosts(new Map([['id-a', 99]]));
    let loads = 0;
    const attempt = placeWithRetry(db, {
      load: async () => (loads++, cluster(hosts())),
      plan: (snapshot) => place(snapshot, request),
      write: async () => undefined,
      attempts: 3,
    });
    await expect(attempt).rejects.toBeInstanceOf(PlacementConflict);
    expect(loads).toBe(3);
  });

  it('lets other errors through at once', async () => {
    let loads = 0;
    const broken: Transactor<SqlExecutor> = {
      $transaction: async () => {
        throw new Error('connection reset');
      },
    };
    const attempt = placeWithRetry(broken, {
      load: async () => (loads++, cluster(hosts())),
      plan: (snapshot) => place(snapshot, request),
      write: async () => undefined,
    });
    await expect(attempt).rejects.toThrow('connection reset');
    expect(loads).toBe(1);
  });
});

describe('loadClusterInput', () => {
  it('reads hosts before instances and groups instances by release and process type', async () => {
    const queries: string[] = [];
    const db = {
      async $queryRawUnsafe<T>(query: string): Promise<T> {
        queries.push(query);
        if (query.includes('FROM "Host"')) return [{ id: 'h1', name: 'host-1', version: 3, state: 'ready', cordoned: false, memoryMb: 4096, cpuMillis: 2000, pidsLimit: 1000 }] as T;
        return [{ id: 'i1', hostId: 'h1', releaseId: 'r1', processType: 'web', memoryMb: 512, cpuMillis: 250, pidsLimit: 100 }] as T;
      },
    };
    const input = await loadClusterInput(db);
    expect(queries[0]).toMatch(/FROM "Host"/);
    expect(queries[1]).toMatch(/FROM "Instance" WHERE "desiredState" = 'running' AND "hostId" IS NOT NULL/);
    expect(input).toEqual({
      hosts: [{ id: 'h1', name: 'host-1', version: 3, state: 'ready', cordoned: false, capacity: res(4096, 2000, 1000) }],
      instances: [{ id: 'i1', hostId: 'h1', group: 'r1/web', resources: res(512, 250, 100) }],
    });
    expect(ClusterSnapshot.build(input).host('h1')!.booked).toEqual(res(512, 250, 100));
  });
});
