// The frame of one app: its name, URL and tabs. Pages inside read the app with useApp().
import { useEffect } from 'react';
import { Link, NavLink, Outlet, useNavigate, useOutletContext, useParams } from 'react-router';
import { APP_GONE_EVENT, api, type AppDetail } from '../api';
import { useResource, useTitle } from '../hooks';
import { ErrorNotice, Loading } from '../ui';

interface AppContext {
  app: AppDetail;
  reload: () => void;
}

export const useApp = () => useOutletContext<AppContext>();

export function AppLayout() {
  const { app: name = '', env } = useParams();
  useTitle(name);
  const app = useResource(`app:${name}`, (signal) => api.app(name, signal));
  const envName = env ?? 'production';
  const { reload } = app;
  // A page inside was told the app is gone (deleted in another tab, or Back after deleting it
  // before this frame had unmounted): ask for the app again, and show what it says.
  useEffect(() => {
    const prefix = `/api/apps/${encodeURIComponent(name)}`;
    const onGone = (event: Event) => {
      const path = String((event as CustomEvent<string>).detail ?? '');
      // Not the frame's own request (that answer is already shown): only pages inside it.
      if (path.startsWith(`${prefix}/`)) reload();
    };
    window.addEventListener(APP_GONE_EVENT, onGone);
    return () => window.removeEventListener(APP_GONE_EVENT, onGone);
  }, [name, reload]);

  if (app.error?.code === 'app_not_found') {
    // Typically Back after deleting it, or a link kept from before it was deleted or shared.
    return (
      <section className="empty" data-gone="app">
        <p className="crumbs">
          <Link to="/apps">Apps</Link> /
        </p>
        <h1>{name}</h1>
        <p>
          <strong>This app was deleted or you no longer have access to it.</strong> If it should be here, ask an admin of its team.
        </p>
        <p>
          <Link to="/apps">Go to your apps</Link>
        </p>
      </section>
    );
  }
  if (!app.data) {
    return (
      <>
        <p className="crumbs">
          <Link to="/apps">Apps</Link> /
        </p>
        <h1>{name}</h1>
        {app.error ? <ErrorNotice error={app.error} onRetry={app.reload} /> : <Loading />}
      </>
    );
  }
  const base = `/apps/${name}`;
  const tabs: [string, string, boolean?][] = [
    ['Overview', base, true],
    ['Builds', `${base}/builds`],
    ['Logs', `${base}/environments/${envName}/logs`],
    ['Metrics', `${base}/environments/${envName}/metrics`],
    ['Releases', `${base}/environments/${envName}/releases`],
    ['Config', `${base}/environments/${envName}/config`],
    ['Formation', `${base}/environments/${envName}/formation`],
    ['Domains', `${base}/environments/${envName}/domains`],
    ['Settings', `${base}/settings`],
  ];
  return (
    <>
      <p className="crumbs">
        <Link to="/apps">Apps</Link> / <span>{app.data.team.name}</span> /
      </p>
      <div className="page-head">
        <h1>{app.data.name}</h1>
        <a className="url" href={app.data.url} target="_blank" rel="noreferrer">
          {app.data.url.replace(/^https?:\/\//, '')}
        </a>
      </div>
      <nav className="tabs" aria-label={`${app.data.name} sections`}>
        {tabs.map(([label, to, end]) => (
          <NavLink key={label} to={to} end={end}>
            {label}
          </NavLink>
        ))}
      </nav>
      <Outlet context={{ app: app.data, reload: app.reload } satisfies AppContext} />
    </>
  );
}

/** Chooses which environment an environment page shows; keeps the same page. */
export function EnvironmentPicker({ section }: { section: string }) {
  const { app } = useApp();
  const { env } = useParams();
  const navigate = useNavigate();
  if (app.environments.length < 2) return <span className="env-name">{env}</span>;
  return (
    <label className="env-picker">
      <span>Environment</span>
      <select value={env} onChange={(event) => navigate(`/apps/${app.name}/environments/${event.target.value}/${section}`)}>
        {app.environments.map((e) => (
          <option key={e.name} value={e.name}>
            {e.name}
            {e.kind === 'preview' ? ` (${e.branch})` : ''}
          </option>
        ))}
      </select>
    </label>
  );
}
