// An app's builds, newest first; refreshed quickly while one is running.
import { Link } from 'react-router';
import { api, buildIsActive, type Build } from '../api';
import { ago, duration, shortSha } from '../format';
import { useResource } from '../hooks';
import { DataTable, Empty, ErrorNotice, Loading, StatusPill } from '../ui';
import { useApp } from './AppLayout';
import { PushInstructions } from './Environments';

export function BuildsPage() {
  const { app } = useApp();
  const builds = useResource(`builds:${app.name}`, (signal) => api.builds(app.name, signal), { pollMs: 0 });
  const active = builds.data?.some(buildIsActive) ?? false;
  const polled = useResource(active ? `builds-poll:${app.name}` : null, (signal) => api.builds(app.name, signal), { pollMs: 3000 });
  const list = (active && polled.data) || builds.data;
  if (builds.error) return <ErrorNotice error={builds.error} feature="Builds" onRetry={builds.reload} />;
  if (!list) return <Loading what="Loading builds" />;
  if (list.length === 0) {
    return (
      <Empty title="No builds yet">
        <p>Every git push builds an image. Push your code to start the first build:</p>
        <PushInstructions app={app} />
      </Empty>
    );
  }
  return (
    <DataTable className="builds" columns={['Status', 'Environment', 'Commit', 'Buildpack', 'Started', 'Took']}>
      {list.map((build) => (
        <BuildRow key={build.id} app={app.name} build={build} />
      ))}
    </DataTable>
  );
}

function BuildRow({ app, build }: { app: string; build: Build }) {
  const to = `/apps/${app}/builds/${build.id}`;
  return (
    <tr>
      <td data-label="Status">
        <Link to={to} aria-label={`Build ${shortSha(build.commitSha)}: ${build.status}`}>
          <StatusPill status={build.status} />
        </Link>
      </td>
      <td data-label="Environment">
        {build.environment} <span className="meta">{build.branch}</span>
      </td>
      <td data-label="Commit">
        <Link to={to}>
          <code>{shortSha(build.commitSha)}</code>
        </Link>
        {build.failureReason && <div className="reason">{build.failureReason}</div>}
      </td>
      <td data-label="Buildpack">{build.buildpack ?? '—'}</td>
      <td data-label="Started" className="nowrap">{ago(build.startedAt ?? build.createdAt)}</td>
      <td data-label="Took" className="nowrap">{buildIsActive(build) ? 'running' : duration(build.startedAt, build.finishedAt)}</td>
    </tr>
  );
}
