// One build: its facts and its log. A running build's log streams in as it is written
// (server-sent events over fetch); a finished build shows its full stored log.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, ApiError, buildIsActive } from '../api';
import { ago, bytes, duration, shortSha, when } from '../format';
import { useResource, useTitle } from '../hooks';
import { ErrorNotice, Loading, Notice, StatusPill } from '../ui';
import { buildOutcome } from '../status-text';
import { useApp } from './AppLayout';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const FLUSH_MS = 100;
/** How long after a build its page keeps reading the log, for the lines of its release. */
const RELEASE_FOLLOW_MS = 120_000;

export function BuildPage() {
  const { app } = useApp();
  const { build: id = '' } = useParams();
  useTitle(`Build ${id.slice(0, 8)} · ${app.name}`);
  const [pollMs, setPollMs] = useState(0);
  const build = useResource(`build:${app.name}/${id}`, (signal) => api.build(app.name, id, signal), { pollMs });
  const active = build.data ? buildIsActive(build.data) : false;
  const live = useLiveLog(app.name, id, active, build.reload);
  // After the build, the push goes on to release it and adds those lines to the stored log;
  // keep reading it for a while. While it runs, the record is read again every few seconds
  // too, so its status and buildpack move with the log instead of staying as first loaded.
  const recent = !!build.data?.finishedAt && Date.now() - Date.parse(build.data.finishedAt) < RELEASE_FOLLOW_MS;
  useEffect(() => setPollMs(active || recent ? 3000 : 0), [active, recent]);

  if (!build.data) {
    return (
      <>
        <BackToBuilds app={app.name} />
        {build.error ? <ErrorNotice error={build.error} onRetry={build.reload} /> : <Loading what="Loading the build" />}
      </>
    );
  }
  const b = build.data;
  // A finished build shows its stored log; what streamed stays if the record has none.
  const log = active || !b.log ? live.text : b.log;
  return (
    <>
      <BackToBuilds app={app.name} />
      <section className="card build-head">
        <div className="card-head">
          <h2>
            Build <code>{shortSha(b.commitSha)}</code> of {b.branch}
          </h2>
          <StatusPill status={buildOutcome(b).status} />
        </div>
        <dl className="facts">
          <dt>Environment</dt>
          <dd>{b.environment}</dd>
          <dt>Commit</dt>
          <dd>
            <code className="break">{b.commitSha}</code>
          </dd>
          <dt>Buildpack</dt>
          <dd>{b.buildpack ?? 'not chosen yet'}</dd>
          <dt>Queued</dt>
          <dd title={when(b.createdAt)}>{ago(b.createdAt)}</dd>
          <dt>Took</dt>
          <dd>{active ? `${duration(b.startedAt, null)} so far` : duration(b.startedAt, b.finishedAt)}</dd>
          {b.image && (
            <>
              <dt>Image</dt>
              <dd>
                <code className="break" title={b.image.digest}>
                  {b.image.tag}
                </code>{' '}
                <span className="meta">{bytes(b.image.sizeBytes)}</span>
              </dd>
              <dt>Process types</dt>
              <dd>
                {Object.keys(b.image.processTypes).length ? (
                  Object.entries(b.image.processTypes).map(([type, command]) => (
                    <div key={type}>
                      <code>{type}</code> <span className="meta">{command ?? "the image's own command"}</span>
                    </div>
                  ))
                ) : (
                  <span className="meta">none</span>
                )}
              </dd>
            </>
          )}
        </dl>
        {b.failureReason && (
          <div className="notice error" role="alert">
            <p>
              <strong>The build failed:</strong> {b.failureReason}
            </p>
            <p>Fix it and push again; the log below shows where it stopped.</p>
          </div>
        )}
        {b.status === 'succeeded' && b.release?.status === 'failed' && (
          <div className="notice error" role="alert">
            <p>
              <strong>Built, but release v{b.release.version} failed:</strong> {b.release.failureReason ?? 'see its release'}
            </p>
            <p>
              The release that served before keeps serving. <Link to={`/apps/${app.name}/environments/${b.environment}/releases`}>See the releases</Link> to redeploy it
              once fixed, or push again.
            </p>
          </div>
        )}
        {b.status === 'succeeded' && b.release?.status !== 'failed' && (
          <Notice kind="success">
            <p>
              Built. <Link to={`/apps/${app.name}`}>See {b.environment} running</Link> or{' '}
              <Link to={`/apps/${app.name}/environments/${b.environment}/releases`}>its releases</Link>.
            </p>
          </Notice>
        )}
      </section>
      <LogView text={log} streaming={active && live.state === 'streaming'} />
      {active && live.error && <ErrorNotice error={live.error} />}
    </>
  );
}

function BackToBuilds({ app }: { app: string }) {
  return (
    <p className="crumbs">
      <Link to={`/apps/${app}/builds`}>← All builds</Link>
    </p>
  );
}

/**
 * The log of a running build as it streams. When the stream ends (the build finished) the
 * build is loaded again for its final status and full log.
 */
function useLiveLog(app: string, id: string, active: boolean, onEnd: () => void) {
  const [text, setText] = useState('');
  const [state, setState] = useState<'idle' | 'streaming' | 'ended'>('idle');
  const [error, setError] = useState<ApiError>();
  const onEndRef = useRef(onEnd);
  onEndRef.current = onEnd;

  useEffect(() => {
    if (!active) return;
    const controller = new AbortController();
    let pending: string[] = [];
    let buffer = '';
    const flush = () => {
      if (!pending.length) return;
      buffer += pending.join('\n') + '\n';
      pending = [];
      setText(buffer);
    };
    // Lines arrive one event each; showing them in batches keeps a chatty build cheap to render.
    const timer = setInterval(flush, FLUSH_MS);
    setText('');
    setState('streaming');
    setError(undefined);
    const restart = () => {
      pending = [];
      buffer = '';
      setText('');
    };
    api
      .followBuildLog(app, id, { line: (line) => pending.push(line), restart }, controller.signal)
      .then(() => {
        flush();
        setState('ended');
        onEndRef.current();
      })
      .catch((caught: unknown) => {
        if (controller.signal.aborted) return;
        flush();
        setState('ended');
        setError(caught instanceof ApiError ? caught : undefined);
        // Without a stream, show the stored log and its status instead.
        onEndRef.current();
      });
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [app, id, active]);

  return { text, state, error };
}

function LogView({ text, streaming }: { text: string; streaming: boolean }) {
  const ref = useRef<HTMLPreElement>(null);
  const [follow, setFollow] = useState(true);
  useLayoutEffect(() => {
    const pre = ref.current;
    if (pre && follow) pre.scrollTop = pre.scrollHeight;
  }, [text, follow]);
  const clean = text.replace(ANSI, '');
  return (
    <section className="log" aria-label="Build log">
      <div className="log-head">
        <h2>Log</h2>
        {streaming && (
          <span className="live">
            <span className="dot" aria-hidden="true" /> live
          </span>
        )}
        <label className="follow">
          <input type="checkbox" checked={follow} onChange={(event) => setFollow(event.target.checked)} /> Follow
        </label>
      </div>
      <pre
        ref={ref}
        tabIndex={0}
        data-testid="build-log"
        onScroll={(event) => {
          const pre = event.currentTarget;
          const atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 8;
          if (atBottom !== follow) setFollow(atBottom);
        }}
      >
        {clean || (streaming ? 'Waiting for the builder…' : 'This build wrote no log.')}
      </pre>
    </section>
  );
}
