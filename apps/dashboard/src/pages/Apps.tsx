// The apps of every team the user belongs to, each with its production URL and status.
import { Link, useSearchParams } from 'react-router';
import { api, type App } from '../api';
import { useResource, useTitle } from '../hooks';
import { Empty, ErrorNotice, Loading, Notice, StatusPill } from '../ui';
import { ago } from '../format';

export function AppsPage() {
  useTitle('Apps');
  const [params] = useSearchParams();
  const apps = useResource('apps', (signal) => api.apps(signal));
  return (
    <>
      <div className="page-head">
        <h1>Apps</h1>
        <Link className="button" to="/apps/new">
          New app
        </Link>
      </div>
      {params.get('welcome') && (
        <Notice kind="success">
          <p>
            <strong>Welcome to Berth.</strong> Create an app, then deploy it with <code>git push</code>. The page after creating it shows the commands.
          </p>
        </Notice>
      )}
      <ErrorNotice error={apps.error} onRetry={apps.reload} />
      {!apps.data && !apps.error && <Loading what="Loading your apps" />}
      {apps.data?.length === 0 && (
        <Empty title="No apps yet">
          <p>An app is something you deploy with git: a web service, an API, a static site. Create one and Berth gives you a git remote and a URL.</p>
          <Link className="button" to="/apps/new">
            Create your first app
          </Link>
        </Empty>
      )}
      {!!apps.data?.length && (
        <ul className="cards" aria-label="Apps">
          {apps.data.map((app) => (
            <AppCard key={app.id} app={app} />
          ))}
        </ul>
      )}
    </>
  );
}

function AppCard({ app }: { app: App }) {
  const environments = useResource(`envs:${app.name}`, (signal) => api.environments(app.name, signal), { pollMs: 15_000 });
  const production = useResource(`env:${app.name}/production`, (signal) => api.environment(app.name, 'production', signal), { pollMs: 15_000 });
  const previews = environments.data?.filter((env) => env.kind === 'preview').length ?? 0;
  const status = production.data?.status;
  return (
    <li className="card app-card" data-app={app.name}>
      <div className="card-head">
        <h2>
          <Link to={`/apps/${app.name}`}>{app.name}</Link>
        </h2>
        {status && <StatusPill status={status.state} />}
      </div>
      <a className="url" href={app.url} target="_blank" rel="noreferrer">
        {app.url.replace(/^https?:\/\//, '')}
      </a>
      <p className="meta">
        <span>team {app.team.name}</span>
        {environments.data && <span>{previews === 0 ? 'no previews' : `${previews} preview${previews === 1 ? '' : 's'}`}</span>}
        <span>created {ago(app.createdAt)}</span>
      </p>
      {status && status.state !== 'running' && <p className="reason">{status.message}</p>}
    </li>
  );
}
