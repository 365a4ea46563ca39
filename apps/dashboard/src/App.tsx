// Routes and the frame around every signed-in page.
import { useState } from 'react';
import { Link, NavLink, Navigate, Outlet, Route, Routes, useLocation } from 'react-router';
import { RequireSession, useMe } from './auth';
import { session } from './session';
import { AppLayout } from './pages/AppLayout';
import { AppsPage } from './pages/Apps';
import { BuildPage } from './pages/Build';
import { BuildsPage } from './pages/Builds';
import { ConfigPage } from './pages/Config';
import { DomainsPage } from './pages/Domains';
import { EnvironmentsPage } from './pages/Environments';
import { FormationPage } from './pages/Formation';
import { HostsPage } from './pages/Hosts';
import { LoginPage, SignupPage } from './pages/Auth';
import { NewAppPage } from './pages/NewApp';
import { NotFoundPage } from './pages/NotFound';
import { LogsPage } from './pages/Logs';
import { MetricsPage } from './pages/Metrics';
import { ReleasesPage } from './pages/Releases';
import { SettingsPage } from './pages/Settings';
import { TeamPage, TeamsPage } from './pages/Teams';
import { TokensPage } from './pages/Tokens';

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/signup" element={<SignupPage />} />
      <Route
        element={
          <RequireSession>
            <Frame />
          </RequireSession>
        }
      >
        <Route index element={<Navigate to="/apps" replace />} />
        <Route path="/apps" element={<AppsPage />} />
        <Route path="/apps/new" element={<NewAppPage />} />
        <Route path="/apps/:app" element={<AppLayout />}>
          <Route index element={<EnvironmentsPage />} />
          <Route path="builds" element={<BuildsPage />} />
          <Route path="builds/:build" element={<BuildPage />} />
          <Route path="environments/:env/logs" element={<LogsPage />} />
          <Route path="environments/:env/metrics" element={<MetricsPage />} />
          <Route path="environments/:env/releases" element={<ReleasesPage />} />
          <Route path="environments/:env/config" element={<ConfigPage />} />
          <Route path="environments/:env/formation" element={<FormationPage />} />
          <Route path="environments/:env/domains" element={<DomainsPage />} />
          <Route path="settings" element={<SettingsPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
        <Route path="/teams" element={<TeamsPage />} />
        <Route path="/teams/:team" element={<TeamPage />} />
        <Route path="/tokens" element={<TokensPage />} />
        <Route path="/hosts" element={<HostsPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

function Frame() {
  const { me } = useMe();
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();
  return (
    <>
      <header className="topbar">
        <Link to="/apps" className="brand" aria-label="Berth: your apps">
          <img src="/favicon.svg" alt="" width="24" height="24" />
          <span>Berth</span>
        </Link>
        <button type="button" className="menu-toggle" aria-expanded={menuOpen} aria-controls="main-nav" onClick={() => setMenuOpen(!menuOpen)}>
          Menu
        </button>
        <nav id="main-nav" className={menuOpen ? 'open' : ''} aria-label="Main" onClick={() => setMenuOpen(false)} key={location.pathname}>
          <NavLink to="/apps">Apps</NavLink>
          <NavLink to="/teams">Teams</NavLink>
          <NavLink to="/tokens">API tokens</NavLink>
          {me.operator && <NavLink to="/hosts">Hosts</NavLink>}
          <span className="who" title={me.email}>
            {me.email}
          </span>
          <button type="button" className="link" onClick={() => session.end()}>
            Log out
          </button>
        </nav>
      </header>
      <main className="page">
        <Outlet />
      </main>
    </>
  );
}
