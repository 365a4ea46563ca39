// Types only: the dashboard (apps/dashboard) imports them too, so nothing here may need Node.

/** The periods GET …/metrics answers for. */
export type MetricsPeriod = '1h' | '24h' | '7d';

/** One step of an environment's requests, from the router. */
export interface RequestPoint {
  t: string;
  count: number;
  status2xx: number;
  status3xx: number;
  status4xx: number;
  status5xx: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

/** One instance's CPU and memory, step by step, with its restarts and OOM kills over the period. */
export interface InstanceSeries {
  /** `web.1` */
  instance: string;
  memoryLimitMb: number;
  restarts: number;
  oomKills: number;
  points: { t: string; cpuPercent: number | null; memoryMb: number | null }[];
}

/** GET …/metrics: a point per step (a minute over 1h, 5 minutes over 24h, an hour over 7d). */
export interface MetricsAnswer {
  period: MetricsPeriod;
  stepSeconds: number;
  from: string;
  to: string;
  requests: RequestPoint[];
  instances: InstanceSeries[];
}
