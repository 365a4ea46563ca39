// An environment's runtime log: its apps' output, Berth's events and router lines, followed
// live (server-sent events over fetch), with filters (kept in the address, so a link can open
// the log of one instance), "since" presets, a search box, a pause button and a download.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, ApiError, type LogFilters, type LogLine } from '../api';
import { useTitle } from '../hooks';
import { isCrashLine } from '../log-lines';
import { ErrorNotice } from '../ui';
import { EnvironmentPicker, useApp } from './AppLayout';

const TAIL = 500;
/** Lines kept on the page; older ones scroll away. */
const KEEP = 5000;
const FLUSH_MS = 150;
/** Lines a download holds at most (the API's largest tail). */
const DOWNLOAD_TAIL = 10_000;
const SINCE_PRESETS: [string, string][] = [
  ['', 'newest lines'],
  ['15m', 'last 15 minutes'],
  ['1h', 'last hour'],
  ['24h', 'last 24 hours'],
  ['7d', 'last 7 days'],
];
const FILTER_KEYS = ['source', 'process', 'instance', 'q', 'since'] as const;

export function LogsPage() {
  const { app } = useApp();
  const { env = 'production' } = useParams();
  useTitle(`Logs of ${env} · ${app.name}`);
  const [params, setParams] = useSearchParams();
  const filters: LogFilters = {
    source: (params.get('source') ?? '') as LogFilters['source'],
    process: params.get('process') ?? '',
    instance: params.get('instance') ?? '',
    q: params.get('q') ?? '',
    since: params.get('since') ?? '',
  };
  const filterKey = FILTER_KEYS.map((key) => filters[key]).join('\u0000');
  const setFilter = (key: (typeof FILTER_KEYS)[number], value: string) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );
  const [search, setSearch] = useState(filters.q ?? '');
  useEffect(() => setSearch(filters.q ?? ''), [filters.q]);
  const [paused, setPaused] = useState(false);
  const { lines, state, error } = useLiveLogs(app.name, env, filters, filterKey, paused);
  const seen = (pick: (line: LogLine) => string | null, current: string | undefined) =>
    [...new Set([...lines.map(pick), current ?? ''])].filter((v): v is string => !!v).sort();
  const processTypes = seen((line) => line.process, filters.process);
  const instances = seen((line) => line.instance, filters.instance);
  const download = useDownload(app.name, env, filters);

  return (
    <>
      <div className="section-head">
        <h2>Logs</h2>
        <EnvironmentPicker section="logs" />
      </div>
      <form
        className="log-filters"
        onSubmit={(event) => {
          event.preventDefault();
          setFilter('q', search.trim());
        }}
      >
        <label>
          <span>Source</span>
          <select value={filters.source} onChange={(event) => setFilter('source', event.target.value)}>
            <option value="">all</option>
            <option value="app">app</option>
            <option value="berth">berth</option>
            <option value="router">router</option>
          </select>
        </label>
        <label>
          <span>Process</span>
          <select value={filters.process} onChange={(event) => setFilter('process', event.target.value)}>
            <option value="">all</option>
            {processTypes.map((type) => (
              <option key={type} value={type}>
                {type}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Instance</span>
          <select value={filters.instance} onChange={(event) => setFilter('instance', event.target.value)}>
            <option value="">all</option>
            {instances.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Since</span>
          <select value={filters.since} onChange={(event) => setFilter('since', event.target.value)}>
            {SINCE_PRESETS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="log-search">
          <span>Search</span>
          <input type="search" value={search} placeholder="text in the line" onChange={(event) => setSearch(event.target.value)} />
        </label>
        <button type="submit" className="button small">
          Search
        </button>
        <button type="button" className="button small secondary" aria-pressed={paused} onClick={() => setPaused((p) => !p)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" className="button small secondary" onClick={download.run} disabled={download.busy}>
          {download.busy ? 'Preparing…' : 'Download'}
        </button>
      </form>
      {(filters.instance || filters.process || filters.source || filters.q || filters.since) && (
        <p className="hint">
          Showing only some lines.{' '}
          <button type="button" className="link" onClick={() => setParams(new URLSearchParams(), { replace: true })}>
            Show all lines
          </button>
        </p>
      )}
      {error && <ErrorNotice error={error} />}
      {download.error && <ErrorNotice error={download.error} />}
      <LogLines lines={lines} live={state === 'streaming' && !paused} paused={paused} releasesPath={`/apps/${app.name}/environments/${env}/releases`} />
    </>
  );
}

/** Saves the lines that match the filters (up to 10,000, newest) as a text file in Heroku's format. */
function useDownload(app: string, env: string, filters: LogFilters) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const text = await api.logsText(app, env, filters, DOWNLOAD_TAIL);
      const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `${app}-${env}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : undefined);
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, error };
}

/** The newest lines, then new ones as they come; a pause keeps the page still and the stream closed. */
function useLiveLogs(app: string, env: string, filters: LogFilters, filterKey: string, paused: boolean) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [state, setState] = useState<'idle' | 'streaming' | 'ended'>('idle');
  const [error, setError] = useState<ApiError>();

  useEffect(() => {
    setLines([]);
  }, [app, env, filterKey]);

  useEffect(() => {
    if (paused) return;
    const controller = new AbortController();
    let pending: LogLine[] = [];
    const flush = () => {
      if (!pending.length) return;
      const batch = pending;
      pending = [];
      setLines((shown) => {
        const known = shown.length ? BigInt(shown[shown.length - 1].id) : -1n;
        const next = [...shown, ...batch.filter((line) => BigInt(line.id) > known)];
        return next.length > KEEP ? next.slice(next.length - KEEP) : next;
      });
    };
    const timer = setInterval(flush, FLUSH_MS);
    setState('streaming');
    setError(undefined);
    api
      .followLogs(app, env, filters, TAIL, (line) => pending.push(line), controller.signal)
      .then(() => setState('ended'))
      .catch((caught: unknown) => {
        if (controller.signal.aborted) return;
        setState('ended');
        setError(caught instanceof ApiError ? caught : undefined);
      })
      // A stream replaced by another (new filters) must not add its last lines to the new one's.
      .finally(() => controller.signal.aborted || flush());
    return () => {
      controller.abort();
      clearInterval(timer);
    };
    // filters is a new object each render; filterKey says when it changed.
  }, [app, env, filterKey, paused]);

  return { lines, state, error };
}

function LogLines({ lines, live, paused, releasesPath }: { lines: LogLine[]; live: boolean; paused: boolean; releasesPath: string }) {
  const ref = useRef<HTMLPreElement>(null);
  const [follow, setFollow] = useState(true);
  useLayoutEffect(() => {
    const pre = ref.current;
    if (pre && follow) pre.scrollTop = pre.scrollHeight;
  }, [lines, follow]);
  return (
    <section className="log" aria-label="Runtime log">
      <div className="log-head">
        <h2>{lines.length} lines</h2>
        {live && (
          <span className="live">
            <span className="dot" aria-hidden="true" /> live
          </span>
        )}
        {paused && <span className="meta">paused</span>}
        <label className="follow">
          <input type="checkbox" checked={follow} onChange={(event) => setFollow(event.target.checked)} /> Follow
        </label>
      </div>
      <pre
        ref={ref}
        tabIndex={0}
        data-testid="runtime-log"
        onScroll={(event) => {
          const pre = event.currentTarget;
          const atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 8;
          if (atBottom !== follow) setFollow(atBottom);
        }}
      >
        {lines.length
          ? lines.map((line) => {
              const crash = isCrashLine(line);
              return (
                <span key={line.id} className={`log-line log-${line.source}${line.stream === 'stderr' ? ' log-stderr' : ''}${crash ? ' log-crash' : ''}`} data-crash={crash || undefined}>
                  <span className="log-time">{line.time}</span> <span className="log-origin">{line.origin}:</span> {line.text}
                  {crash && line.release !== null && (
                    <>
                      {' '}
                      <Link className="log-release" to={`${releasesPath}#v${line.release}`}>
                        release v{line.release}
                      </Link>
                    </>
                  )}
                  {'\n'}
                </span>
              );
            })
          : 'No lines yet. What the app prints on stdout and stderr appears here, with Berth’s own events about it.'}
      </pre>
    </section>
  );
}
