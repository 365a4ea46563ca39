import { BlockList, isIP } from 'node:net';

/**
 * Which drain URLs and addresses Berth will send a tenant's logs to. A drain URL is tenant
 * input: it must not make the platform POST to itself, to another service on its hosts or
 * networks, or to a cloud metadata address. Pure functions; the resolving lives in DrainResolver.
 */

export interface DrainPolicy {
  /** Tests only: plain http and loopback addresses are allowed (nothing else private). */
  allowLoopback: boolean;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Addresses no drain may reach: loopback, private, shared, link-local, multicast, reserved, documentation. */
const REFUSED = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) REFUSED.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32],
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) REFUSED.addSubnet(net, bits, 'ipv6');

/** `::ffff:10.0.0.1` (or `::ffff:a00:1`) is 10.0.0.1: the IPv4 rules apply to IPv4-mapped IPv6 addresses. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1], family: 'ipv4' };
  // The URL parser writes them in hex: [::ffff:a9fe:a9fe] is 169.254.169.254.
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hex) {
    const [high, low] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
    return { address: [high >> 8, high & 255, low >> 8, low & 255].join('.'), family: 'ipv4' };
  }
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export function isLoopback(raw: string): boolean {
  if (!isIP(raw)) return false;
  const { address, family } = unmapped(raw);
  return LOOPBACK.check(address, family);
}

/** Null when a drain may connect to this resolved address, else what kind of address it is. */
export function addressProblem(raw: string, policy: DrainPolicy): string | null {
  if (!isIP(raw)) return 'not an IP address';
  const { address, family } = unmapped(raw);
  if (policy.allowLoopback && LOOPBACK.check(address, family)) return null;
  if (REFUSED.check(address, family)) return 'a private, loopback or reserved address; a drain must point at a public host';
  return null;
}

export const MAX_DRAIN_URL_LENGTH = 2000;

/** Null when the URL's form is acceptable (before its host is resolved), else why not. */
export function drainUrlProblem(value: unknown, policy: DrainPolicy): string | null {
  if (typeof value !== 'string' || !value) return 'must be an https:// URL';
  if (value.length > MAX_DRAIN_URL_LENGTH) return `must be at most ${MAX_DRAIN_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an https:// URL, e.g. https://logs.example.com/ingest';
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'https' && !(policy.allowLoopback && scheme === 'http')) return `must use https (not ${scheme})`;
  if (!url.hostname) return 'must name a host';
  if (url.hash) return 'must not have a #fragment';
  return null;
}

/** The URL as it may be shown: a password in it becomes `****`. */
export function maskedUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '****';
    return url.toString();
  } catch {
    return value.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:****@');
  }
}
