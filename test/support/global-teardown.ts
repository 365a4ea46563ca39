import { execFileSync } from 'node:child_process';
import Redis from 'ioredis';
import { dropDatabase } from './databases';
import { BuildFirewall } from '../../libs/builds/src/image-build/build-firewall';

/**
 * Removes the networks this run's installs made (their install label starts with the run's
 * prefix): the builders' build networks with their firewall chains, and the agents' per-app
 * networks of installs whose test did not delete its apps.
 */
async function removeNetworks(prefix: string, kind: 'build' | 'app'): Promise<void> {
  try {
    const names = execFileSync('podman', ['network', 'ls', '-q', '--filter', `label=berth.network=${kind}`]).toString().trim().split('\n').filter(Boolean);
    if (names.length === 0) return;
    const networks = JSON.parse(execFileSync('podman', ['network', 'inspect', ...names]).toString()) as { name: string; network_interface: string; labels?: Record<string, string> }[];
    for (const network of networks.filter((n) => n.labels?.['berth.install']?.startsWith(prefix))) {
      execFileSync('podman', ['network', 'rm', '-f', network.name], { stdio: 'ignore' });
      if (kind === 'build') await new BuildFirewall().remove(network.network_interface);
    }
  } catch (error) {
    console.warn(`could not remove this run's ${kind} networks: ${(error as Error).message}`);
  }
}

/** Drops this run's database, Redis keys and networks (set KEEP_TEST_DB=1 to keep them for a post-mortem). */
export default async function globalTeardown(): Promise<void> {
  const name = process.env.BERTH_TEST_DATABASE_NAME;
  if (!name || process.env.KEEP_TEST_DB) return;
  delete process.env.BERTH_TEST_DATABASE_NAME;
  await dropDatabase(process.env.BERTH_TEST_ADMIN_URL!, name);
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = process.env.BERTH_REDIS_PREFIX;
  if (prefix?.startsWith('berth_test_')) {
    await removeNetworks(prefix, 'build');
    await removeNetworks(prefix, 'app');
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  await redis.quit();
}
