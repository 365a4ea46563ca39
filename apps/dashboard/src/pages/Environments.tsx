// An app's overview: how to deploy it, and each environment (production, then previews) with
// its URL, status, current release and instances, refreshed while the page is open.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router';
import { api, hasRole, type AppDetail, type Build, type Environment, type EnvironmentStatus, type Instance } from '../api';
import { ago, bytes, percent, shortSha, when } from '../format';
import { useAction, useResource, type Resource } from '../hooks';
import { withoutApiCalls } from '../status-text';
import { Commands, DataTable, Empty, ErrorNotice, Loading, Meter, Notice, StatusPill, useConfirm } from '../ui';
import { useApp } from './AppLayout';

/** Instances, statuses and the list of environments refresh this often while the page is visible. */
const LIVE_POLL_MS = 4000;

export function EnvironmentsPage() {
  const { app, reload: reloadApp } = useApp();
  const [params] = useSearchParams();
  const environments = useResource(`envs:${app.name}`, (signal) => api.environments(app.name, signal), { pollMs: LIVE_POLL_MS });
  const builds = useResource(`builds:${app.name}`, (signal) => api.builds(app.name, {}, signal), { pollMs: LIVE_POLL_MS });
  const neverBuilt = builds.data?.length === 0;
  const [deleted, setDeleted] = useState<{ id: string; name: string }>();
  // A push made or removed a preview: the app's own list (tabs, environment pickers) follows.
  const names = environments.data?.map((env) => env.name).join(' ');
  useEffect(() => {
    if (names !== undefined && names !== app.environments.map((env) => env.name).join(' ')) reloadApp();
  }, [names, app.environments, reloadApp]);

  return (
    <>
      {params.get('created') && neverBuilt && (
        <Notice kind="success">
          <p>
            <strong>{app.name} is ready for its first deploy.</strong> Push your code with git, as below.
          </p>
        </Notice>
      )}
      {deleted && (
        <Notice kind="success">
          <p>Preview {deleted.name} was deleted.</p>
        </Notice>
      )}
      {neverBuilt ? (
        <section className="card deploy" aria-labelledby="deploy-title">
          <h2 id="deploy-title">Deploy with git push</h2>
          <PushInstructions app={app} />
        </section>
      ) : builds.data || builds.error ? (
        <details className="card deploy compact">
          <summary>How to deploy</summary>
          <PushInstructions app={app} />
        </details>
      ) : null}
      <ErrorNotice error={environments.error} onRetry={environments.reload} />
      {!environments.data && !environments.error && <Loading what="Loading environments" />}
      {environments.data && (
        <section aria-label="Environments" className="environments">
          {/* A deleted preview goes at once, before the list catches up (its card would ask about it). */}
          {environments.data.filter((env) => env.id !== deleted?.id).map((env) => (
            <EnvironmentCard
              key={env.id}
              app={app}
              env={env}
              latestBuild={builds.data?.find((build) => build.environment === env.name)}
              onChanged={environments.reload}
              onDeleted={() => {
                setDeleted(env);
                environments.reload();
                reloadApp();
              }}
            />
          ))}
          {!environments.data.some((env) => env.kind === 'preview') && (
            <Empty title="No preview environments">
              <p>
                Push any branch other than <code>{app.productionBranch}</code> and Berth builds it into its own environment with its own URL, e.g.{' '}
                <code>git push berth feature/login</code>.
              </p>
            </Empty>
          )}
        </section>
      )}
    </>
  );
}

export function PushInstructions({ app }: { app: Pick<AppDetail, 'name' | 'gitUrl' | 'productionBranch'> }) {
  // The token page comes back here once the token is copied.
  const location = useLocation();
  return (
    <>
      <p>In your app's folder (run <code>git init</code> first if it is not a git repository yet):</p>
      <Commands label="First push" lines={[`git remote add berth ${app.gitUrl}`, `git push berth ${app.productionBranch}`]} />
      <p>
        When git asks for credentials, any user name will do; the password is an API token with the <code>git</code> scope.{' '}
        <Link to={`/tokens?new=git&return=${encodeURIComponent(location.pathname)}`}>Create a git token</Link>. To avoid typing it each time, let git remember it:{' '}
        <code>git config credential.helper store</code>.
      </p>
      <p className="hint">
        Berth builds a <code>Dockerfile</code>, a Node.js app (<code>package.json</code>) or a static site (<code>index.html</code>). Pushing{' '}
        <code>{app.productionBranch}</code> deploys production; pushing any other branch creates a preview environment, and deleting the branch (
        <code>git push berth :branch</code>) removes it.
      </p>
    </>
  );
}

interface CardProps {
  app: AppDetail;
  env: Environment;
  latestBuild: Build | undefined;
  onChanged: () => void;
  onDeleted: () => void;
}

function EnvironmentCard({ app, env, latestBuild, onChanged, onDeleted }: CardProps) {
  const key = `${app.name}/${env.name}`;
  const detail = useResource(`env:${key}`, (signal) => api.environment(app.name, env.name, signal), { pollMs: LIVE_POLL_MS });
  const releases = useResource(`releases:${key}`, (signal) => api.releases(app.name, env.name, signal), { pollMs: LIVE_POLL_MS });
  const instances = useResource(`instances:${key}`, (signal) => api.instances(app.name, env.name, signal), { pollMs: LIVE_POLL_MS });
  const domains = useResource(`domains:${key}`, (signal) => api.domains(app.name, env.name, signal));
  const current = releases.data?.find((release) => release.current);
  const status = detail.data?.status ?? null;
  const canChange = hasRole(app.role, 'member');
  const [dialog, confirm] = useConfirm();
  const remove = useAction(async () => {
    await api.deleteEnvironment(app.name, env.name);
    return true;
  });

  const deletePreview = async () => {
    const ok = await confirm({
      title: `Delete ${env.name}?`,
      body: (
        <p>
          Its instances stop and {env.url} stops answering; its builds, releases and config go with it. Pushing the branch <code>{env.branch}</code> again
          creates it anew.
        </p>
      ),
      confirm: 'Delete preview',
      danger: true,
    });
    if (ok && (await remove.run())) onDeleted();
  };

  // Deleted meanwhile (e.g. its branch was deleted with git push): the list catches up.
  const gone = detail.error?.status === 404;
  useEffect(() => {
    if (gone) onChanged();
  }, [gone, onChanged]);
  if (gone) return null;

  const envPath = `/apps/${app.name}/environments/${env.name}`;
  return (
    <article className="card environment" aria-label={`Environment ${env.name}`} data-state={status?.state}>
      {dialog}
      <div className="card-head">
        <h2>
          {env.name} <span className="kind">{env.kind === 'preview' ? `preview of ${env.branch}` : `from ${env.branch}`}</span>
        </h2>
        {status && <StatusPill status={status.state} />}
      </div>
      <p className="urls">
        <a className="url" href={env.url} target="_blank" rel="noreferrer">
          {env.url.replace(/^https?:\/\//, '')}
        </a>
        {domains.data?.map((domain) => (
          <a key={domain.hostname} className="url" href={domain.url} target="_blank" rel="noreferrer">
            {domain.hostname}
          </a>
        ))}
      </p>
      {status ? (
        <StatusLine
          status={status}
          app={app}
          env={env}
          latestBuild={latestBuild}
          crashedInstance={instances.data?.find((i) => i.actualState === 'crashed' || i.actualState === 'failed')?.name}
        />
      ) : (
        <ErrorNotice error={detail.error} />
      )}

      <div className="release-line">
        <h3>Current release</h3>
        {current ? (
          <p>
            <Link to={`${envPath}/releases`}>v{current.version}</Link> · {current.description} · <code>{shortSha(current.image?.commitSha)}</code> ·{' '}
            <span title={when(current.createdAt)}>{ago(current.createdAt)}</span>
          </p>
        ) : releases.error ? (
          <ErrorNotice error={releases.error} />
        ) : releases.data ? (
          <p className="hint">None yet: a successful build of {env.branch} makes the first release.</p>
        ) : (
          <Loading />
        )}
      </div>
      <h3>Instances</h3>
      <Instances result={instances} envPath={envPath} />
      {env.kind === 'preview' && <TimeToLive app={app.name} env={env} canChange={canChange} onChanged={onChanged} />}
      <div className="card-actions">
        <Link to={`${envPath}/logs`}>Logs</Link>
        <Link to={`${envPath}/releases`}>Releases</Link>
        <Link to={`${envPath}/config`}>Config</Link>
        <Link to={`${envPath}/formation`}>Formation</Link>
        <Link to={`${envPath}/domains`}>Domains</Link>
        {env.kind === 'preview' && canChange && (
          <button type="button" className="link danger" onClick={deletePreview} disabled={remove.busy}>
            Delete preview
          </button>
        )}
      </div>
      <ErrorNotice error={remove.error} />
    </article>
  );
}

/**
 * Why the environment does (not) serve traffic, and what to do about it: the API's own
 * message and hint (the push and the 503 page say the same), with a link to where to act.
 */
function StatusLine({
  status,
  app,
  env,
  latestBuild,
  crashedInstance,
}: {
  status: EnvironmentStatus;
  app: AppDetail;
  env: Environment;
  latestBuild: Build | undefined;
  /** `web.1`: the crash hint opens the log of that instance. */
  crashedInstance?: string;
}) {
  const envPath = `/apps/${app.name}/environments/${env.name}`;
  const buildLink = latestBuild ? `/apps/${app.name}/builds/${latestBuild.id}` : `/apps/${app.name}/builds`;
  const where = (state: EnvironmentStatus['state']): ReactNode => {
    switch (state) {
      case 'building':
        return <Link to={buildLink}>Follow the build's log</Link>;
      case 'build_failed':
        return <Link to={buildLink}>Read the build's log</Link>;
      case 'release_failed':
        return <Link to={`${envPath}/releases`}>See the releases</Link>;
      case 'crashed':
        return <Link to={`${envPath}/logs${crashedInstance ? `?instance=${encodeURIComponent(crashedInstance)}` : ''}`}>Read its logs</Link>;
      case 'unplaced':
      case 'scaled_to_zero':
        return <Link to={`${envPath}/formation`}>Formation</Link>;
      default:
        return null;
    }
  };
  const push = status.latestPush;
  return (
    <div className="status-line" role="status">
      <p>{status.message}</p>
      {status.state !== 'running' && (
        <p className="hint">
          {status.state === 'not_deployed' ? (
            <>
              Push a commit to deploy it: <code>git push berth {env.branch}</code>
            </>
          ) : (
            <>
              {withoutApiCalls(status.hint)} {where(status.state)}
            </>
          )}
        </p>
      )}
      {push && (
        <Notice kind="warning">
          <p className="latest-push" data-state={push.state}>
            <strong>{push.state === 'build_failed' ? 'The latest push failed to build.' : push.state === 'release_failed' ? 'The latest push failed to deploy.' : 'The latest push waits for room.'}</strong>{' '}
            {push.message}
          </p>
          <p className="hint">
            {withoutApiCalls(push.hint)} {where(push.state)}
          </p>
        </Notice>
      )}
    </div>
  );
}

/**
 * An instance's state as a word: one restarting after a crash that has not answered since (its
 * reason is kept until it does) is "crashed" all along, as the environment's status says, not
 * "starting" between two crashes.
 */
function instanceState(instance: Instance): string {
  if (instance.desiredState === 'stopped' && instance.actualState !== 'stopped') return 'stopping';
  if (instance.actualState === 'starting' && instance.restartCount > 0 && instance.reason) return 'crashed';
  return instance.actualState;
}

function Instances({ result, envPath }: { result: Resource<Instance[]>; envPath: string }) {
  if (result.error && !result.data) return <ErrorNotice error={result.error} />;
  if (!result.data) return <Loading />;
  if (result.data.length === 0) {
    return (
      <p className="hint">
        No instances. They start when a release is deployed; choose how many in <Link to={`${envPath}/formation`}>Formation</Link>.
      </p>
    );
  }
  return (
    <DataTable className="instances" columns={['Instance', 'Host', 'State', 'CPU', 'Memory', 'Restarts', 'Started']}>
      {result.data.map((instance) => (
        <tr key={instance.id} data-instance={instance.name}>
          <td data-label="Instance">
            <code>{instance.name}</code> <span className="meta">v{instance.release}</span>
          </td>
          <td data-label="Host">{instance.host ?? '—'}</td>
          <td data-label="State">
            <StatusPill status={instanceState(instance)} />
            {instance.processType === 'web' && instance.actualState === 'running' && !instance.healthy && <StatusPill status="unhealthy" />}
            {/* A running instance's reason is history (e.g. why it moved); otherwise it is why it is not running. */}
            {instance.reason && <span className={instance.actualState === 'running' ? 'meta' : 'reason'}> {instance.reason}</span>}
          </td>
          <td data-label="CPU" title={`Limit: ${instance.cpu.limit} of a core`}>
            {percent(instance.cpu.percent)}
            <span className="meta"> of {percent(instance.cpu.limit * 100)}</span>
            <Meter used={instance.cpu.percent} limit={instance.cpu.limit * 100} label={`CPU of ${instance.name}`} />
          </td>
          <td data-label="Memory">
            {bytes(instance.memory.usageBytes)}
            <span className="meta"> of {bytes(instance.memory.limitBytes)}</span>
            <Meter used={instance.memory.usageBytes} limit={instance.memory.limitBytes} label={`Memory of ${instance.name}`} />
          </td>
          <td data-label="Restarts">{instance.restartCount}</td>
          <td data-label="Started" title={when(instance.startedAt)}>
            {ago(instance.startedAt)}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

/** A preview's time to live: when it goes, and changing it. */
function TimeToLive({ app, env, canChange, onChanged }: { app: string; env: Environment; canChange: boolean; onChanged: () => void }) {
  const [hours, setHours] = useState('');
  const save = useAction((ttlHours: number | null) => api.setTtl(app, env.name, ttlHours));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    // A number input holds '' unless what was typed is a number; the server checks the rest.
    if (await save.run(Number(hours))) {
      setHours('');
      onChanged();
    }
  };
  const keep = async () => {
    if (await save.run(null)) onChanged();
  };
  return (
    <div className="ttl">
      <h3>Time to live</h3>
      <p className="hint">
        {env.expiresAt ? (
          <>
            Deleted automatically <span title={when(env.expiresAt)}>{ago(env.expiresAt)}</span> ({when(env.expiresAt)}).
          </>
        ) : (
          'Kept until it is deleted.'
        )}
      </p>
      {canChange && (
        <form className="ttl-form" onSubmit={submit} noValidate>
          <label>
            <span>Delete it in</span>
            <input
              type="number"
              inputMode="numeric"
              min="1"
              step="1"
              value={hours}
              onChange={(event) => setHours(event.target.value)}
              aria-label={`Hours until ${env.name} is deleted`}
              aria-invalid={save.error?.fields.ttlHours ? true : undefined}
            />
            <span>hours</span>
          </label>
          <button type="submit" className="button small secondary" disabled={save.busy || hours.trim() === ''}>
            Set
          </button>
          {env.expiresAt && (
            <button type="button" className="link" onClick={keep} disabled={save.busy}>
              Keep it until deleted
            </button>
          )}
        </form>
      )}
      {save.error && (
        <p className="field-error" role="alert">
          {save.error.fields.ttlHours ? `Hours ${save.error.fields.ttlHours}` : save.error.message}
        </p>
      )}
    </div>
  );
}
