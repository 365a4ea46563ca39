import { DEFAULT_REQUEST_RATIOS, RequestRatios, requestsFor } from '@berth/placement';
import { RELEASE_PROCESS_TYPE } from '../release-phase/release-phase';

/**
 * Formation rules, pure: which process types a release runs, how many of each and how big.
 * Sizes are limits, stored as memoryMb, cpuMillis (thousandths of a core), pidsLimit and diskMb
 * (each instance's own disk); requests (what placement books) are memoryRequestMb and
 * cpuRequestMillis, null for the default share of the limit.
 */
export interface FormationSize {
  memoryMb: number;
  cpuMillis: number;
  pidsLimit: number;
  /** The instance's own disk: its copy of the app directory and what it writes there. */
  diskMb: number;
}

export interface FormationLine extends FormationSize {
  processType: string;
  command: string | null;
  quantity: number;
  /** Explicit requests; null or absent books the default share of the limit (see requestsFor). */
  memoryRequestMb?: number | null;
  cpuRequestMillis?: number | null;
}

export interface FormationLimits extends FormationSize {
  quantity: number;
}

/**
 * What a user may send for one process type: `{"quantity": 3, "memoryMb": 192, "cpu": 0.25, "pidsLimit": 128, "diskMb": 2048}`,
 * plus requests, `{"memoryRequestMb": 128, "cpuRequest": 0.05}` (null for the default).
 */
export interface FormationChange {
  quantity?: number;
  memoryMb?: number;
  cpu?: number;
  pidsLimit?: number;
  memoryRequestMb?: number | null;
  cpuRequest?: number | null;
  diskMb?: number;
}
export type FormationPatch = Record<string, FormationChange>;

/**
 * Process types and their commands as an image records them: `{ web: "node server.js" }`;
 * null runs the image's own command (a Dockerfile's CMD).
 */
export type ProcessTypes = Record<string, string | null>;

export function processTypesOf(value: unknown): ProcessTypes {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter((entry): entry is [string, string | null] => typeof entry[1] === 'string' || entry[1] === null));
}

/**
 * The formation of a new release of an image: process types the image has, sized as they were
 * in the previous release, new ones with the defaults (one web, no other process).
 */
export function formationForImage(processTypes: ProcessTypes, previous: readonly FormationLine[], defaults: FormationSize): FormationLine[] {
  const before = new Map(previous.map((line) => [line.processType, line]));
  return Object.keys(processTypes)
    // The release phase runs once per release (ReleasePhaseService), never as a scaled process.
    .filter((processType) => processType !== RELEASE_PROCESS_TYPE)
    .sort()
    .map((processType) => {
      const old = before.get(processType);
      return old
        ? { ...old, command: processTypes[processType] }
        : { processType, command: processTypes[processType], quantity: processType === 'web' ? 1 : 0, ...defaults };
    });
}

const KNOWN_FIELDS = new Set(['quantity', 'memoryMb', 'cpu', 'pidsLimit', 'diskMb', 'memoryRequestMb', 'cpuRequest']);

/** The smallest disk an instance may ask for: its copy of the app directory must fit. */
export const MIN_DISK_MB = 64;

/**
 * Applies a PATCH body to a formation. Throws nothing: returns the problems by field
 * (`web.memoryMb`, `worker`) so the caller reports them in one 400.
 */
export function applyFormationPatch(
  current: readonly FormationLine[],
  body: unknown,
  limits: FormationLimits,
): { formation: FormationLine[]; problems: Record<string, string>; changed: string[] } {
  const problems: Record<string, string> = {};
  if (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).length === 0) {
    return { formation: [...current], problems: { body: 'must be a JSON object such as {"web": {"quantity": 2, "memoryMb": 256, "cpu": 0.5}}' }, changed: [] };
  }
  const byType = new Map(current.map((line) => [line.processType, { ...line }]));
  const known = [...byType.keys()].join(', ') || 'none';
  const changed: string[] = [];
  for (const [processType, change] of Object.entries(body as Record<string, unknown>)) {
    const line = byType.get(processType);
    if (!line) {
      problems[processType] = `is not a process type of this release (it has: ${known}); process types come from the app's Procfile`;
      continue;
    }
    if (typeof change !== 'object' || change === null || Array.isArray(change)) {
      problems[processType] = 'must be an object such as {"quantity": 2}';
      continue;
    }
    for (const field of Object.keys(change)) {
      if (!KNOWN_FIELDS.has(field)) problems[`${processType}.${field}`] = 'is not a known field; use quantity, memoryMb, cpu, pidsLimit, diskMb, memoryRequestMb or cpuRequest';
    }
    const c = change as Record<string, unknown>;
    const whole = (field: 'quantity' | 'memoryMb' | 'pidsLimit' | 'diskMb', min: number, max: number, unit = '') => {
      const value = c[field];
      if (value === undefined) return;
      if (typeof value !== 'number' || !Number.isInteger(value)) problems[`${processType}.${field}`] = 'must be a whole number';
      else if (value < min) problems[`${processType}.${field}`] = `must be at least ${min}${unit}`;
      else if (value > max) problems[`${processType}.${field}`] = `must be at most ${max}${unit} (the limit of this installation)`;
      else line[field] = value;
    };
    whole('quantity', 0, limits.quantity);
    whole('memoryMb', 16, limits.memoryMb, ' MB');
    whole('pidsLimit', 8, limits.pidsLimit);
    whole('diskMb', MIN_DISK_MB, limits.diskMb, ' MB');
    if (c.cpu !== undefined) {
      const cpu = c.cpu;
      const maxCpu = limits.cpuMillis / 1000;
      if (typeof cpu !== 'number' || !Number.isFinite(cpu)) problems[`${processType}.cpu`] = 'must be a number of cores such as 0.25';
      else if (cpu < 0.01) problems[`${processType}.cpu`] = 'must be at least 0.01 cores';
      else if (cpu > maxCpu) problems[`${processType}.cpu`] = `must be at most ${maxCpu} cores (the limit of this installation)`;
      else line.cpuMillis = Math.round(cpu * 1000);
    }
    checkRequests(processType, line, c, problems);
    changed.push(processType);
  }
  return { formation: current.map((line) => byType.get(line.processType)!), problems, changed };
}

/**
 * Requests: null goes back to the default; a value may not exceed the limit (as changed by
 * the same patch). A limit lowered under a request set earlier is named too.
 */
function checkRequests(processType: string, line: FormationLine, c: Record<string, unknown>, problems: Record<string, string>): void {
  if (c.memoryRequestMb === null) line.memoryRequestMb = null;
  else if (c.memoryRequestMb !== undefined) {
    const value = c.memoryRequestMb;
    if (typeof value !== 'number' || !Number.isInteger(value)) problems[`${processType}.memoryRequestMb`] = 'must be a whole number of MB, or null for the default';
    else if (value < 4) problems[`${processType}.memoryRequestMb`] = 'must be at least 4 MB';
    else if (value > line.memoryMb) problems[`${processType}.memoryRequestMb`] = `must be at most memoryMb, the limit (${line.memoryMb} MB)`;
    else line.memoryRequestMb = value;
  } else if (line.memoryRequestMb != null && line.memoryRequestMb > line.memoryMb && !problems[`${processType}.memoryMb`]) {
    problems[`${processType}.memoryMb`] = `is below this process type's memory request (${line.memoryRequestMb} MB); lower memoryRequestMb too, or set it to null for the default`;
  }
  if (c.cpuRequest === null) line.cpuRequestMillis = null;
  else if (c.cpuRequest !== undefined) {
    const value = c.cpuRequest;
    if (typeof value !== 'number' || !Number.isFinite(value)) problems[`${processType}.cpuRequest`] = 'must be a number of cores such as 0.05, or null for the default';
    else if (value < 0.001) problems[`${processType}.cpuRequest`] = 'must be at least 0.001 cores';
    else if (Math.round(value * 1000) > line.cpuMillis) problems[`${processType}.cpuRequest`] = `must be at most cpu, the limit (${line.cpuMillis / 1000} cores)`;
    else line.cpuRequestMillis = Math.round(value * 1000);
  } else if (line.cpuRequestMillis != null && line.cpuRequestMillis > line.cpuMillis && !problems[`${processType}.cpu`]) {
    problems[`${processType}.cpu`] = `is below this process type's CPU request (${line.cpuRequestMillis / 1000} cores); lower cpuRequest too, or set it to null for the default`;
  }
}

/** "web 3 × 192 MB, 0.25 CPU" for release descriptions and logs. */
export function describeLine(line: FormationLine): string {
  return `${line.processType} ${line.quantity} × ${line.memoryMb} MB, ${line.cpuMillis / 1000} CPU`;
}

/** The formation as the API shows it: limits, and the requests each instance books (explicit or the default share). */
export function presentFormation(lines: readonly FormationLine[], ratios: RequestRatios = DEFAULT_REQUEST_RATIOS) {
  return Object.fromEntries(
    lines.map((line) => {
      const requests = requestsFor(line, { memoryMb: line.memoryRequestMb, cpuMillis: line.cpuRequestMillis }, ratios);
      return [
        line.processType,
        { quantity: line.quantity, memoryMb: line.memoryMb, cpu: line.cpuMillis / 1000, pidsLimit: line.pidsLimit, diskMb: line.diskMb, memoryRequestMb: requests.memoryMb, cpuRequest: requests.cpuMillis / 1000, command: line.command },
      ];
    }),
  );
}
