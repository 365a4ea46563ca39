// An environment's metrics over the last hour, day or week: requests by status class, response
// times, errors, and each instance's memory (against its limit) and CPU, drawn with uPlot.
import { useEffect, useRef } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api, type InstanceSeries, type Metrics, type MetricsPeriod } from '../api';
import { useResource, useTitle } from '../hooks';
import { Empty, ErrorNotice, Loading } from '../ui';
import { EnvironmentPicker, useApp } from './AppLayout';

const PERIODS: [MetricsPeriod, string][] = [
  ['1h', 'last hour'],
  ['24h', 'last 24 hours'],
  ['7d', 'last 7 days'],
];
/** The newest minute is written about a minute late; polling faster shows nothing new. */
const POLL_MS = 30_000;
const COLORS = ['#1f5fa8', '#1a7f37', '#8a5a00', '#b42318', '#6941c6', '#0e7490', '#c11574', '#475467'];
const STATUS_COLORS = { status2xx: '#1a7f37', status3xx: '#1f5fa8', status4xx: '#8a5a00', status5xx: '#b42318' } as const;

const periodOf = (value: string | null): MetricsPeriod => (value === '24h' || value === '7d' ? value : '1h');
const seconds = (iso: string) => Date.parse(iso) / 1000;
const whole = (n: number) => n.toLocaleString('en-US');

export function MetricsPage() {
  const { app } = useApp();
  const { env = 'production' } = useParams();
  useTitle(`Metrics of ${env} · ${app.name}`);
  const [params, setParams] = useSearchParams();
  const period = periodOf(params.get('period'));
  const metrics = useResource(`metrics:${app.name}/${env}/${period}`, (signal) => api.metrics(app.name, env, period, signal), { pollMs: POLL_MS });
  const label = PERIODS.find(([p]) => p === period)![1];

  return (
    <>
      <div className="section-head">
        <h2>Metrics</h2>
        <EnvironmentPicker section="metrics" />
      </div>
      <div className="metrics-periods" role="group" aria-label="Period">
        {PERIODS.map(([value, text]) => (
          <button
            key={value}
            type="button"
            className={value === period ? 'button small' : 'button small secondary'}
            aria-pressed={value === period}
            onClick={() => setParams(value === '1h' ? {} : { period: value }, { replace: true })}
          >
            {text}
          </button>
        ))}
      </div>
      {metrics.error && !metrics.data && <ErrorNotice error={metrics.error} onRetry={metrics.reload} />}
      {!metrics.data && !metrics.error && <Loading what="Loading metrics" />}
      {metrics.data && <MetricsCharts metrics={metrics.data} label={label} appUrl={app.url} logsPath={`/apps/${app.name}/environments/${env}/logs`} />}
    </>
  );
}

function MetricsCharts({ metrics, label, appUrl, logsPath }: { metrics: Metrics; label: string; appUrl: string; logsPath: string }) {
  const { requests, instances } = metrics;
  const x = requests.map((point) => seconds(point.t));
  const total = requests.reduce((sum, point) => sum + point.count, 0);
  const errors = requests.reduce((sum, point) => sum + point.status5xx, 0);
  const step = metrics.stepSeconds >= 3600 ? 'an hour' : metrics.stepSeconds >= 300 ? '5 minutes' : 'a minute';

  return (
    <>
      <p className="metrics-summary" data-testid="metrics-summary">
        <strong>{whole(total)}</strong> {total === 1 ? 'request' : 'requests'} · <strong>{whole(errors)}</strong> {errors === 1 ? 'error' : 'errors'} (5xx) in the {label}
        <span className="meta"> · a point per {step}</span>
      </p>
      {total === 0 ? (
        <Empty title={`No requests in the ${label}`}>
          <p>
            Requests that reach this environment through the router are counted here, a minute at a time: open{' '}
            <a href={appUrl} target="_blank" rel="noreferrer">
              {appUrl.replace(/^https?:\/\//, '')}
            </a>{' '}
            and they appear within a minute or two.
          </p>
        </Empty>
      ) : (
        <div className="charts">
          <Chart
            title="Requests"
            unit="requests"
            x={x}
            series={(['status2xx', 'status3xx', 'status4xx', 'status5xx'] as const).map((key) => ({
              label: key.replace('status', ''),
              color: STATUS_COLORS[key],
              values: requests.map((point) => point[key]),
            }))}
          />
          <Chart
            title="Response time"
            unit="ms"
            x={x}
            series={[
              { label: 'p50', color: COLORS[1], values: requests.map((point) => point.p50Ms) },
              { label: 'p95', color: COLORS[2], values: requests.map((point) => point.p95Ms) },
              { label: 'p99', color: COLORS[3], values: requests.map((point) => point.p99Ms) },
            ]}
          />
          <Chart title="Errors (5xx)" unit="errors" x={x} series={[{ label: '5xx', color: STATUS_COLORS.status5xx, values: requests.map((point) => point.status5xx) }]} />
        </div>
      )}
      <h3>Instances</h3>
      {instances.length === 0 ? (
        <Empty title={`No instance ran in the ${label}`}>
          <p>Each running instance's memory and CPU are sampled every few seconds and kept a minute at a time for 7 days.</p>
        </Empty>
      ) : (
        <>
          <InstanceTable instances={instances} logsPath={logsPath} />
          <div className="charts">
            <Chart title="Memory" unit="MB" x={x} series={instanceSeries(instances, x, (p) => p.memoryMb)} limits={instances.map((i, n) => ({ label: `${i.instance} limit`, color: COLORS[n % COLORS.length], value: i.memoryLimitMb }))} />
            <Chart title="CPU" unit="%" x={x} series={instanceSeries(instances, x, (p) => p.cpuPercent)} />
          </div>
        </>
      )}
    </>
  );
}

function InstanceTable({ instances, logsPath }: { instances: InstanceSeries[]; logsPath: string }) {
  return (
    <table className="metrics-instances">
      <thead>
        <tr>
          <th>Instance</th>
          <th>Memory limit</th>
          <th>Restarts</th>
          <th>Out-of-memory kills</th>
        </tr>
      </thead>
      <tbody>
        {instances.map((i) => (
          <tr key={i.instance} data-instance={i.instance}>
            <td>
              <Link to={`${logsPath}?instance=${encodeURIComponent(i.instance)}`}>
                <code>{i.instance}</code>
              </Link>
            </td>
            <td>{whole(i.memoryLimitMb)} MB</td>
            <td>{whole(i.restarts)}</td>
            <td className={i.oomKills ? 'bad' : undefined}>{whole(i.oomKills)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One line per instance on the requests' steps; a step the instance did not run in is a gap. */
function instanceSeries(instances: InstanceSeries[], x: number[], pick: (point: InstanceSeries['points'][number]) => number | null): ChartSeries[] {
  return instances.map((instance, n) => {
    const byTime = new Map(instance.points.map((point) => [seconds(point.t), pick(point)]));
    return { label: instance.instance, color: COLORS[n % COLORS.length], values: x.map((t) => byTime.get(t) ?? null) };
  });
}

interface ChartSeries {
  label: string;
  color: string;
  values: (number | null)[];
}

const HEIGHT = 220;
/** Series with this many values or fewer are drawn with dots. */
const SPARSE = 10;

/** A uPlot time chart that fills its container's width; limits are dashed lines. */
function Chart({ title, unit, x, series, limits = [] }: { title: string; unit: string; x: number[]; series: ChartSeries[]; limits?: { label: string; color: string; value: number }[] }) {
  const box = useRef<HTMLDivElement>(null);
  // Drawn again only when what it shows changes (the arrays are new on every render).
  const signature = JSON.stringify([x, series, limits, unit]);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const format = (value: number | null) => (value === null || value === undefined ? '–' : `${Math.round(value * 10) / 10} ${unit}`);
    const options: uPlot.Options = {
      width: Math.max(280, element.clientWidth),
      height: HEIGHT,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max ?? 0, ...limits.map((l) => l.value), 1) * 1.1] } },
      axes: [{}, { size: 56, values: (_u, values) => values.map((v) => (v >= 1000 ? `${Math.round(v / 100) / 10}k` : String(v))) }],
      series: [
        {},
        // A sparse series gets dots: a step between two gaps (an instance that ran one minute) would draw nothing.
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          spanGaps: false,
          ...(s.values.filter((v) => v !== null).length <= SPARSE ? { points: { show: true, size: 6, fill: s.color } } : {}),
          value: (_u: uPlot, v: number | null) => format(v),
        })),
        ...limits.map((l) => ({ label: l.label, stroke: l.color, width: 1, dash: [6, 4], value: (_u: uPlot, v: number | null) => format(v) })),
      ],
    };
    const data: uPlot.AlignedData = [x, ...series.map((s) => s.values), ...limits.map((l) => x.map(() => l.value))];
    const plot = new uPlot(options, data, element);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, element.clientWidth), height: HEIGHT }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [signature]);
  return (
    <figure className="chart" aria-label={title} data-points={x.length}>
      <figcaption>
        {title} <span className="meta">({unit})</span>
      </figcaption>
      <div ref={box} />
    </figure>
  );
}
