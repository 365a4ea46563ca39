import { Ask, hostAcceptsPlacements, hostNotExcluded, limitsFit } from './filters';
import type { ClusterState } from './snapshot';
import type { Resources } from './types';

/**
 * Says, for people, why an instance fits nowhere. Runs only when placement failed, so it may
 * look at every host.
 */
export function explainPending(state: ClusterState, ask: Ask): string {
  const total = state.ids.length;
  if (total === 0) return 'there are no hosts yet: start an agent so it registers one';

  const unavailable = new Map<string, number>();
  const open: number[] = [];
  for (let h = 0; h < total; h++) {
    // Same order as the filters: a host that is down and excluded counts as down.
    const why = !hostAcceptsPlacements.passes(state, h, ask) ? (state.states[h] !== 'ready' ? state.states[h] : 'cordoned') : !hostNotExcluded.passes(state, h, ask) ? 'excluded' : undefined;
    if (why) unavailable.set(why, (unavailable.get(why) ?? 0) + 1);
    else open.push(h);
  }
  const kinds = [...unavailable.keys()].sort((x, y) => UNAVAILABLE_ORDER.indexOf(x) - UNAVAILABLE_ORDER.indexOf(y));
  if (open.length === 0) {
    const counts = kinds.map((k) => `${unavailable.get(k)} ${k}`).join(', ');
    const all = total === 1 ? 'the only host is' : `all ${total} hosts are`;
    return `${all} ${orList(kinds)}${kinds.length > 1 ? ` (${counts})` : ''}; placement resumes when one is ready and uncordoned`;
  }

  const { index } = state;
  const others = total - open.length;
  // Limits first: a host too small for them never helps, however much of it is free.
  const limitDims: Dimension[] = [
    { need: ask.limits.memoryMb, free: (h) => index.capMem[h], show: mib, what: (n) => `a memory limit of ${mib(n)}` },
    { need: ask.limits.cpuMillis, free: (h) => index.capCpu[h], show: cpu, what: (n) => `a CPU limit of ${cpu(n)}` },
    { need: ask.limits.pidsLimit, free: (h) => index.capPids[h], show: pids, what: (n) => `a limit of ${pids(n)}` },
  ];
  // Only when the limits differ from what is booked: otherwise the booking says it better.
  const ceilings = ask.limits.memoryMb !== ask.resources.memoryMb || ask.limits.cpuMillis !== ask.resources.cpuMillis || ask.limits.pidsLimit !== ask.resources.pidsLimit;
  const large = ceilings ? open.filter((h) => limitsFit.passes(state, h, ask)) : open;
  if (large.length === 0) {
    const small: string[] = [];
    for (const dim of limitDims) {
      let best = open[0];
      for (const h of open) if (dim.free(h) > dim.free(best)) best = h;
      if (dim.free(best) < dim.need) small.push(`no host is large enough for ${dim.what(dim.need)} (largest: ${dim.show(dim.free(best))} on ${state.names[best]})`);
    }
    if (small.length === 0) small.push(`no host is large enough for all of ${describeResources(ask.limits)} at once`);
    let reason = `${small.join('; ')}; lower the limit or add a larger host`;
    if (others) reason += ` (${others} more host${others === 1 ? ' is' : 's are'} ${orList(kinds)})`;
    return reason;
  }
  open.splice(0, open.length, ...large);

  const need = ask.resources;
  const dims: Dimension[] = [
    { need: need.memoryMb, free: (h) => index.freeMem(h), show: mib, what: (n) => `${mib(n)} of memory` },
    { need: need.cpuMillis, free: (h) => index.freeCpu(h), show: cpu, what: cpu },
    { need: need.pidsLimit, free: (h) => index.freePids(h), show: pids, what: pids },
  ];
  const short: string[] = [];
  for (const dim of dims) {
    let best = open[0];
    for (const h of open) if (dim.free(h) > dim.free(best)) best = h;
    if (dim.free(best) < dim.need) {
      short.push(`no host has ${dim.what(dim.need)} free (largest free: ${dim.show(Math.max(0, dim.free(best)))} on ${state.names[best]})`);
    }
  }
  let reason: string;
  if (short.length) {
    reason = `${short.join('; ')}; add a host or ask for less`;
  } else {
    // Each resource fits somewhere, never all on one host: name the host that comes closest.
    let closest = open[0];
    let closestRatio = -1;
    for (const h of open) {
      let ratio = Infinity;
      for (const dim of dims) if (dim.need > 0) ratio = Math.min(ratio, dim.free(h) / dim.need);
      if (ratio > closestRatio) [closest, closestRatio] = [h, ratio];
    }
    const wanted = dims.map((d) => d.what(d.need));
    const has = dims.map((d) => d.what(Math.max(0, d.free(closest))));
    reason = `no host has ${wanted[0]}, ${wanted[1]} and ${wanted[2]} free at once (closest: ${state.names[closest]} with ${has[0]}, ${has[1]} and ${has[2]} free); add a host or ask for less`;
  }
  if (others) reason += ` (${others} more host${others === 1 ? ' is' : 's are'} ${orList(kinds)})`;
  return reason;
}

interface Dimension {
  need: number;
  free: (h: number) => number;
  /** An amount, e.g. "512 MiB". */
  show: (amount: number) => string;
  /** An amount of the resource, e.g. "512 MiB of memory". */
  what: (amount: number) => string;
}

const UNAVAILABLE_ORDER = ['down', 'unreachable', 'draining', 'cordoned', 'excluded'];

function orList(words: string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

const mib = (n: number) => `${trim(n)} MiB`;
const cpu = (millis: number) => `${trim(millis / 1000)} CPU`;
const pids = (n: number) => `${trim(n)} pids`;

function trim(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

/** A request's size as one line, for messages: "512 MiB, 0.25 CPU, 256 pids". */
export function describeResources(r: Resources): string {
  return `${mib(r.memoryMb)}, ${cpu(r.cpuMillis)}, ${pids(r.pidsLimit)}`;
}
