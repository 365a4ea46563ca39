/**
 * The router's access lines: HAProxy logs every HTTP request it routed, in the format below,
 * to a UDP syslog listener of the router on loopback (AccessLog). Pure parts here: the
 * format, its parser, and the line Berth stores, in Heroku's shape.
 */
import { backendName } from './haproxy-config';

/**
 * HAProxy's log-format of access lines: a marker, backend, server, status, bytes sent, active
 * time (first byte of the request to last byte of the response), server response time (-1
 * when no server answered), method, request id, then host and URI quoted and escaped (`"`, `\`
 * and `]` get a backslash; HAProxy writes other unsafe bytes of the URI as #XX).
 */
export const ACCESS_LOG_FORMAT = 'berth1 %b %s %ST %B %Ta %Tr %HM %[var(txn.request_id)] %{+Q,+E}[var(txn.host)] %{+Q,+E}HU';

export interface AccessRecord {
  backend: string;
  /** The server slot (s1, s2 …), `status` for the router's own pages, `<NOSRV>` for none. */
  server: string;
  status: number;
  bytes: number;
  /** From the request's first byte to the response's last, in ms. */
  activeMs: number;
  /** How long the instance took to answer with headers, in ms; null when none answered. */
  serviceMs: number | null;
  method: string;
  requestId: string | null;
  host: string;
  path: string;
}

const QUOTED = '"((?:[^"\\\\]|\\\\.)*)"';
const LINE = new RegExp(`^(?:<\\d+>)?berth1 (\\S+) (\\S+) (-?\\d+) (\\d+) (-?\\d+) (-?\\d+) (\\S+) (\\S+) ${QUOTED} ${QUOTED}\\s*$`);
const unescape = (s: string) => s.replace(/\\(.)/g, '$1');
const unhex = (s: string) => s.replace(/#([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/** Reads one access line as HAProxy sent it; null for anything else. */
export function parseAccessLine(text: string): AccessRecord | null {
  const m = LINE.exec(text);
  if (!m) return null;
  const [, backend, server, status, bytes, active, response, method, requestId, host, path] = m;
  return {
    backend,
    server,
    status: Number(status),
    bytes: Number(bytes),
    activeMs: Math.max(0, Number(active)),
    serviceMs: Number(response) >= 0 ? Number(response) : null,
    method,
    requestId: requestId === '-' ? null : requestId,
    host: unescape(host) === '-' ? '' : unescape(host),
    path: unhex(unescape(path)),
  };
}

/** The environment of a backend name (`env_<id>`); null for the router's own backends. */
export function environmentOfBackend(backend: string): string | null {
  const id = backend.slice(backendName('').length);
  return backend.startsWith(backendName('')) && /^[0-9a-f-]{36}$/i.test(id) ? id : null;
}

/** A value of a key=value line: quoted when it would not read as one token. */
const value = (v: string) => (/^[^\s"]+$/.test(v) ? v : JSON.stringify(v));

/**
 * The stored line, in Heroku's router shape:
 * `at=info method=GET path=/ host=… request_id=… status=200 bytes=512 service=12ms instance=web.1`.
 * `at=error` when no instance answered (the router's own 503 page, a timeout).
 */
export function routerLineText(record: AccessRecord, instance: string | null): string {
  const error = instance === null && record.status >= 500;
  const parts = [
    `at=${error ? 'error' : 'info'}`,
    `method=${value(record.method)}`,
    `path=${value(record.path)}`,
    `host=${value(record.host || '-')}`,
    `request_id=${value(record.requestId ?? '-')}`,
    `status=${record.status}`,
    `bytes=${record.bytes}`,
    `service=${record.serviceMs ?? record.activeMs}ms`,
  ];
  if (instance) parts.push(`instance=${instance}`);
  return parts.join(' ');
}
