import { Injectable } from '@nestjs/common';
import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, LookupFunction } from 'node:net';
import { BerthConfig } from '@berth/config';
import { addressProblem, DrainPolicy, isLoopback } from './drain-address';

const TIMEOUT_MS = 15_000;
/** Bytes of a receiver's answer kept for the drain's last error. */
const ERROR_BODY_BYTES = 200;

export class DrainRefused extends Error {}

/**
 * The network edge of log drains: resolving a drain's host and POSTing to it. The address
 * check runs inside the connection's own DNS lookup, so the address that is checked is the
 * one connected to (a host that resolves to a public address when the drain is added and to
 * 127.0.0.1 later is still refused). Redirects are not followed.
 */
@Injectable()
export class DrainTransport {
  private readonly policy: DrainPolicy;

  constructor(config: BerthConfig) {
    this.policy = { allowLoopback: config.logs.drainsAllowLoopback };
  }

  /** Resolves the URL's host; rejects with DrainRefused saying why when no address may be used. */
  async checkHost(url: string): Promise<void> {
    const target = new URL(url);
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host) ? [host] : await resolveAll(host);
    for (const address of addresses) this.checkAddress(host, address, target.protocol);
  }

  private checkAddress(host: string, address: string, protocol: string): void {
    const problem = addressProblem(address, this.policy) ?? (protocol === 'https:' || isLoopback(address) ? null : 'reached over plain http, which only a loopback test receiver may be');
    if (problem) throw new DrainRefused(host === address ? `${host} is ${problem}` : `${host} resolves to ${address}, ${problem}`);
  }

  /** POSTs one batch; resolves on a 2xx answer, rejects with what went wrong otherwise. */
  post(url: string, body: string, contentType: string, headers: Record<string, string> = {}): Promise<void> {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const host = target.hostname.replace(/^\[|\]$/g, '');
    // An address in the URL is connected to without a lookup: check it here.
    if (isIP(host)) {
      try {
        this.checkAddress(host, host, target.protocol);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const auth = target.username || target.password ? `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}` : undefined;
    return new Promise((resolve, reject) => {
      const request = client.request(
        {
          protocol: target.protocol,
          hostname: host,
          port: target.port || undefined,
          path: `${target.pathname}${target.search}`,
          method: 'POST',
          auth,
          lookup: this.safeLookup(target.protocol),
          timeout: TIMEOUT_MS,
          headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'user-agent': 'Berth-log-drain', ...headers },
        },
        (response) => {
          const chunks: Buffer[] = [];
          let kept = 0;
          response.on('data', (chunk: Buffer) => {
            if (kept < ERROR_BODY_BYTES) chunks.push(chunk);
            kept += chunk.length;
          });
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve();
            const text = Buffer.concat(chunks).toString('utf8').slice(0, ERROR_BODY_BYTES).replace(/\s+/g, ' ').trim();
            reject(new Error(`the receiver answered ${status}${text ? `: ${text}` : ''}`));
          });
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`the receiver did not answer within ${TIMEOUT_MS / 1000} s`)));
      request.on('error', (error) => reject(error instanceof DrainRefused ? error : new Error(`could not reach the receiver: ${error.message}`)));
      request.end(body);
    });
  }

  /** A DNS lookup for http(s).request that refuses addresses a drain may not reach. */
  private safeLookup(protocol: string): LookupFunction {
    return (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
        if (error) return callback(error, '', 0);
        try {
          for (const a of addresses) this.checkAddress(hostname, a.address, protocol);
        } catch (refused) {
          return callback(refused as Error, '', 0);
        }
        if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        callback(null, addresses[0].address, addresses[0].family);
      });
    };
  }
}

function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true }, (error, addresses) => {
      if (error) reject(new DrainRefused(`${host} does not resolve (${error.code ?? error.message}); check the host name`));
      else resolve(addresses.map((a) => a.address));
    });
  });
}
