// The apps of every team the user belongs to, each with its production URL and status, a page
// at a time (one request a page, statuses included: a user with thousands of apps gets a page).
import { Link, useSearchParams } from 'react-router';
import { api, type AppSummary } from '../api';
import { useResource, useTitle } from '../hooks';
import { Empty, ErrorNotice, Loading, Notice, StatusPill } from '../ui';
import { ago } from '../format';

export function AppsPage() {
  useTitle('Apps');
  const [params] = useSearchParams();
  // The page after the app named `after` (the cursor); Back in the browser returns to the page before.
  const after = params.get('after');
  const page = useResource(`apps:${after ?? ''}`, (signal) => api.appsPage({ limit: PAGE_SIZE, cursor: after }, signal), { pollMs: 15_000 });
  const apps = page.data?.apps;
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
      <ErrorNotice error={page.error} onRetry={page.reload} />
      {!page.data && !page.error && <Loading what="Loading your apps" />}
      {apps?.length === 0 && !after && (
        <Empty title="No apps yet">
          <p>An app is something you deploy with git: a web service, an API, a static site. Create one and Berth gives you a git remote and a URL.</p>
          <Link className="button" to="/apps/new">
            Create your first app
          </Link>
        </Empty>
      )}
      {!!apps?.length && (
        <ul className="cards" aria-label="Apps">
          {apps.map((app) => (
            <AppCard key={app.id} app={app} />
          ))}
        </ul>
      )}
      {(after || page.data?.nextCursor) && (
        <nav className="pager" aria-label="Pages of apps">
          {after && <Link to="/apps">First page</Link>}
          {page.data?.nextCursor && <Link to={`/apps?after=${encodeURIComponent(page.data.nextCursor)}`}>Next page</Link>}
        </nav>
      )}
    </>
  );
}

const PAGE_SIZE = 48;

function AppCard({ app }: { app: AppSummary }) {
  const { previews, status } = app;
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
        <span>{previews === 0 ? 'no previews' : `${previews} preview${previews === 1 ? '' : 's'}`}</span>
        <span>created {ago(app.createdAt)}</span>
      </p>
      {status && status.state !== 'running' && <p className="reason">{status.message}</p>}
    </li>
  );
}
