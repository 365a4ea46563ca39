// An environment's runtime log: its apps' output, Berth's events and router lines, followed
// live (server-sent events over fetch), with filters, a search box and a pause button.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useParams } from 'react-router';
import { api, ApiError, type LogFilters, type LogLine } from '../api';
import { useTitle } from '../hooks';
import { ErrorNotice } from '../ui';
import { EnvironmentPicker, useApp } from './AppLayout';

const TAIL = 500;
/** Lines kept on the page; older ones scroll away. */
const KEEP = 5000;
const FLUSH_MS = 150;

export function LogsPage() {
  const { app } = useApp();
  const { env = 'production' } = useParams();
  useTitle(`Logs of ${env} · ${app.name}`);
  const [filters, setFilters] = useState<LogFilters>({ source: '', process: '', q: '' });
  const [search, setSearch] = useState('');
  const [paused, setPaused] = useState(false);
  const { lines, state, error } = useLiveLogs(app.name, env, filters, paused);
  const processTypes = [...new Set(lines.map((line) => line.process).filter((p): p is string => !!p))].sort();

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
          setFilters((f) => ({ ...f, q: search.trim() }));
        }}
      >
        <label>
          <span>Source</span>
          <select value={filters.source} onChange={(event) => setFilters((f) => ({ ...f, source: event.target.value as LogFilters['source'] }))}>
            <option value="">all</option>
            <option value="app">app</option>
            <option value="berth">berth</option>
            <option value="router">router</option>
          </select>
        </label>
        <label>
          <span>Process</span>
          <select value={filters.process} onChange={(event) => setFilters((f) => ({ ...f, process: event.target.value }))}>
            <option value="">all</option>
            {[...new Set([...processTypes, filters.process ?? ''])].filter(Boolean).map((type) => (
              <option key={type} value={type}>
                {type}
              </option>
            ))}
          </select>
        </label>
        <label className="log-search">
          <span>Search</span>
          <input type="search" value={search} placeholder="text in the line" onChange={(event) => setSearch(event.target.value)} />
        </label>
        <button type="submit">Search</button>
        <button type="button" className="secondary" aria-pressed={paused} onClick={() => setPaused((p) => !p)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
      </form>
      {error && <ErrorNotice error={error} />}
      <LogLines lines={lines} live={state === 'streaming' && !paused} paused={paused} />
    </>
  );
}

/** The newest lines, then new ones as they come; a pause keeps the page still and the stream closed. */
function useLiveLogs(app: string, env: string, filters: LogFilters, paused: boolean) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [state, setState] = useState<'idle' | 'streaming' | 'ended'>('idle');
  const [error, setError] = useState<ApiError>();

  useEffect(() => {
    setLines([]);
  }, [app, env, filters.process, filters.source, filters.q]);

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
  }, [app, env, filters, paused]);

  return { lines, state, error };
}

function LogLines({ lines, live, paused }: { lines: LogLine[]; live: boolean; paused: boolean }) {
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
          ? lines.map((line) => (
              <span key={line.id} className={`log-line log-${line.source}${line.stream === 'stderr' ? ' log-stderr' : ''}`}>
                <span className="log-time">{line.time}</span> <span className="log-origin">{line.origin}:</span> {line.text}
                {'\n'}
              </span>
            ))
          : 'No lines yet. What the app prints on stdout and stderr appears here, with Berth’s own events about it.'}
      </pre>
    </section>
  );
}
