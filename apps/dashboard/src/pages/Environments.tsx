// An app's overview: how to deploy it, and each environment (production, then previews) with
// its URL, status, current release and running instances, refreshed while the page is open.
import { Link, useSearchParams } from 'react-router';
import { api, environmentStatus, hasRole, type AppDetail, type Environment, type Instance } from '../api';
import { ago, bytes, percent, shortSha } from '../format';
import { useAction, useResource } from '../hooks';
import { Commands, DataTable, Empty, ErrorNotice, Loading, Meter, Notice, StatusPill, useConfirm } from '../ui';
import { useApp } from './AppLayout';

const INSTANCES_POLL_MS = 5000;

export function EnvironmentsPage() {
  const { app } = useApp();
  const [params] = useSearchParams();
  const environments = useResource(`envs:${app.name}`, (signal) => api.environments(app.name, signal), { pollMs: 15_000 });
  const builds = useResource(`builds:${app.name}`, (signal) => api.builds(app.name, signal));
  const neverBuilt = builds.data?.length === 0 || builds.error?.routeMissing === true;

  return (
    <>
      {params.get('created') && (
        <Notice kind="success">
          <p>
            <strong>{app.name} is ready for its first deploy.</strong> Push your code with git, as below.
          </p>
        </Notice>
      )}
      {neverBuilt ? (
        <section className="card deploy" aria-labelledby="deploy-title">
          <h2 id="deploy-title">Deploy with git push</h2>
          <PushInstructions app={app} />
        </section>
      ) : (
        <details className="card deploy compact">
          <summary>How to deploy</summary>
          <PushInstructions app={app} />
        </details>
      )}
      <ErrorNotice error={environments.error} onRetry={environments.reload} />
      {!environments.data && !environments.error && <Loading what="Loading environments" />}
      {environments.data && (
        <section aria-label="Environments" className="environments">
          {environments.data.map((env) => (
            <EnvironmentCard key={env.id} app={app} env={env} onDeleted={environments.reload} />
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
  return (
    <>
      <p>In your app's folder (run <code>git init</code> first if it is not a git repository yet):</p>
      <Commands label="First push" lines={[`git remote add berth ${app.gitUrl}`, `git push berth ${app.productionBranch}`]} />
      <p>
        When git asks for credentials, any user name will do; the password is an API token with the <code>git</code> scope.{' '}
        <Link to={`/tokens?new=git`}>Create a git token</Link>. To avoid typing it each time, let git remember it:{' '}
        <code>git config credential.helper store</code>.
      </p>
      <p className="hint">
        Pushing <code>{app.productionBranch}</code> deploys production. Pushing any other branch creates a preview environment; deleting the branch (
        <code>git push berth :branch</code>) removes it.
      </p>
    </>
  );
}

function EnvironmentCard({ app, env, onDeleted }: { app: AppDetail; env: Environment; onDeleted: () => void }) {
  const key = `${app.name}/${env.name}`;
  const releases = useResource(`releases:${key}`, (signal) => api.releases(app.name, env.name, signal), { pollMs: 15_000 });
  const instances = useResource(`instances:${key}`, (signal) => api.instances(app.name, env.name, signal), { pollMs: INSTANCES_POLL_MS });
  const current = releases.data?.find((release) => release.current);
  const status = environmentStatus(env);
  const [dialog, confirm] = useConfirm();
  const remove = useAction(async () => {
    await api.deleteEnvironment(app.name, env.name);
    return true;
  });
  const runtimeMissing = releases.error?.routeMissing && instances.error?.routeMissing;

  const deletePreview = async () => {
    const ok = await confirm({
      title: `Delete ${env.name}?`,
      body: <p>Its instances stop and {env.url} stops answering. Pushing the branch {env.branch} again creates it anew.</p>,
      confirm: 'Delete environment',
      danger: true,
    });
    if (ok && (await remove.run())) onDeleted();
  };

  return (
    <article className="card environment" aria-label={`Environment ${env.name}`}>
      {dialog}
      <div className="card-head">
        <h2>
          {env.name} <span className="kind">{env.kind === 'preview' ? `preview of ${env.branch}` : `from ${env.branch}`}</span>
        </h2>
        {status && <StatusPill status={status.state} title={status.reason ?? undefined} />}
      </div>
      <a className="url" href={env.url} target="_blank" rel="noreferrer">
        {env.url.replace(/^https?:\/\//, '')}
      </a>
      {status?.reason && <p className="reason">{status.reason}</p>}
      {env.expiresAt && <p className="meta">Removed automatically {ago(env.expiresAt)}.</p>}

      {runtimeMissing ? (
        <p className="meta">Releases and instances are not available on this Berth server yet.</p>
      ) : (
        <>
          <div className="release-line">
            <h3>Current release</h3>
            {current ? (
              <p>
                <Link to={`/apps/${app.name}/environments/${env.name}/releases`}>v{current.version}</Link> · <code>{shortSha(current.image?.commitSha)}</code> ·{' '}
                {current.description ?? ''} · {ago(current.createdAt)}
              </p>
            ) : releases.error ? (
              <ErrorNotice error={releases.error} feature="Releases" />
            ) : releases.data ? (
              <p className="meta">Nothing released yet: a successful build of {env.branch} makes the first release.</p>
            ) : (
              <Loading />
            )}
          </div>
          <h3>Instances</h3>
          <Instances result={instances} />
        </>
      )}
      <div className="card-actions">
        <Link to={`/apps/${app.name}/environments/${env.name}/config`}>Config</Link>
        <Link to={`/apps/${app.name}/environments/${env.name}/formation`}>Formation</Link>
        <Link to={`/apps/${app.name}/environments/${env.name}/releases`}>Releases</Link>
        {env.kind === 'preview' && hasRole(app.role, 'member') && (
          <button type="button" className="link danger" onClick={deletePreview} disabled={remove.busy}>
            Delete preview
          </button>
        )}
      </div>
      <ErrorNotice error={remove.error} feature="Deleting environments" />
    </article>
  );
}

function Instances({ result }: { result: ReturnType<typeof useResource<Instance[]>> }) {
  if (result.error && !result.data) return <ErrorNotice error={result.error} feature="Instances" />;
  if (!result.data) return <Loading />;
  if (result.data.length === 0) return <p className="meta">No instances running. They start when a release is deployed; scale with Formation.</p>;
  return (
    <DataTable className="instances" columns={['Instance', 'Host', 'State', 'CPU', 'Memory', 'Restarts', 'Started']}>
      {[...result.data]
        .sort((a, b) => a.processType.localeCompare(b.processType) || a.index - b.index)
        .map((instance) => (
          <tr key={instance.id}>
            <td data-label="Instance">
              <code>
                {instance.processType}.{instance.index}
              </code>
            </td>
            <td data-label="Host">{instance.host ?? '—'}</td>
            <td data-label="State">
              <StatusPill status={instance.actualState} title={instance.reason ?? undefined} />
              {instance.healthy === false && instance.actualState === 'running' && <StatusPill status="unhealthy" />}
              {instance.reason && <span className="reason"> {instance.reason}</span>}
            </td>
            <td data-label="CPU">{percent(instance.cpuPercent)}</td>
            <td data-label="Memory">
              {bytes(instance.memoryUsageBytes)}
              {instance.memoryUsageBytes !== null && instance.memoryLimitBytes ? ` of ${bytes(instance.memoryLimitBytes)}` : ''}
              <Meter used={instance.memoryUsageBytes} limit={instance.memoryLimitBytes} label={`Memory of ${instance.processType}.${instance.index}`} />
            </td>
            <td data-label="Restarts">{instance.restartCount}</td>
            <td data-label="Started">{ago(instance.startedAt)}</td>
          </tr>
        ))}
    </DataTable>
  );
}
