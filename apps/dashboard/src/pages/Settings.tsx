// An app's settings: its git remote and production branch, and deleting it.
import { useNavigate } from 'react-router';
import { api, hasRole } from '../api';
import { useAction, useTitle } from '../hooks';
import { Commands, ErrorNotice, useConfirm } from '../ui';
import { useApp } from './AppLayout';
import { PushInstructions } from './Environments';

export function SettingsPage() {
  const { app } = useApp();
  useTitle(`Settings · ${app.name}`);
  const navigate = useNavigate();
  const [dialog, confirm] = useConfirm();
  const remove = useAction(async () => {
    await api.deleteApp(app.name);
    return true;
  });

  const deleteApp = async () => {
    const ok = await confirm({
      title: `Delete ${app.name}?`,
      body: (
        <p>
          Every environment, build, release and config var of {app.name} is deleted and its URLs stop answering. This cannot be undone; the name becomes free for
          anyone.
        </p>
      ),
      confirm: 'Delete this app',
      danger: true,
      typeToConfirm: app.name,
    });
    if (ok && (await remove.run())) navigate('/apps', { replace: true });
  };

  return (
    <>
      {dialog}
      <section className="card">
        <h2>Git remote</h2>
        <Commands label="Git remote" lines={[app.gitUrl]} />
        <PushInstructions app={app} />
      </section>
      <section className="card">
        <h2>About</h2>
        <dl className="facts">
          <dt>Team</dt>
          <dd>{app.team.name}</dd>
          <dt>Your role</dt>
          <dd>{app.role}</dd>
          <dt>Production branch</dt>
          <dd>
            <code>{app.productionBranch}</code>
          </dd>
          <dt>Created</dt>
          <dd>{new Date(app.createdAt).toLocaleString()}</dd>
        </dl>
      </section>
      <section className="card danger-zone">
        <h2>Delete this app</h2>
        {hasRole(app.role, 'admin') ? (
          <>
            <p>Stops every environment and deletes the app with its history.</p>
            <ErrorNotice error={remove.error} />
            <button type="button" className="button danger" onClick={deleteApp} disabled={remove.busy}>
              Delete {app.name}
            </button>
          </>
        ) : (
          <p className="meta">Deleting an app needs the admin role on team {app.team.name}.</p>
        )}
      </section>
    </>
  );
}
