// An app's builds, newest first, optionally of one environment; new pushes appear by themselves.
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, buildIsActive, type Build } from '../api';
import { ago, duration, shortSha, when } from '../format';
import { useResource, useTitle } from '../hooks';
import { DataTable, Empty, ListOf, StatusPill } from '../ui';
import { useApp } from './AppLayout';
import { PushInstructions } from './Environments';
import { buildOutcome } from '../status-text';

/** Faster while a build runs, so its end shows soon. */
const POLL_MS = 3000;
const POLL_ACTIVE_MS = 2000;

export function BuildsPage() {
  const { app } = useApp();
  useTitle(`Builds · ${app.name}`);
  const [params, setParams] = useSearchParams();
  const environment = params.get('environment') ?? '';
  const [active, setActive] = useState(false);
  const builds = useResource(`builds:${app.name}:${environment}`, (signal) => api.builds(app.name, { environment }, signal), { pollMs: active ? POLL_ACTIVE_MS : POLL_MS });
  const anyActive = builds.data?.some(buildIsActive) ?? false;
  if (anyActive !== active) setActive(anyActive);

  return (
    <>
      <div className="section-head">
        <h2>Builds</h2>
        {app.environments.length > 1 && (
          <label className="env-picker">
            <span>Environment</span>
            <select value={environment} onChange={(event) => setParams(event.target.value ? { environment: event.target.value } : {})}>
              <option value="">all</option>
              {app.environments.map((e) => (
                <option key={e.name} value={e.name}>
                  {e.name}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <ListOf
        resource={builds}
        loading="Loading builds"
        empty={
          <Empty title={environment ? `No builds of ${environment} yet` : 'No builds yet'}>
            <p>Every git push builds an image, and this list shows it as it runs. Push your code to start the first build:</p>
            <PushInstructions app={app} />
          </Empty>
        }
      >
        {(items) => (
          <DataTable className="builds" columns={['Status', 'Environment', 'Commit', 'Buildpack', 'Started', 'Took']}>
            {items.map((build) => (
              <BuildRow key={build.id} app={app.name} build={build} />
            ))}
          </DataTable>
        )}
      </ListOf>
    </>
  );
}

function BuildRow({ app, build }: { app: string; build: Build }) {
  const to = `/apps/${app}/builds/${build.id}`;
  const outcome = buildOutcome(build);
  return (
    <tr data-build={build.id}>
      <td data-label="Status">
        <Link to={to} aria-label={`Build ${shortSha(build.commitSha)} of ${build.branch}: ${outcome.status.replace(/_/g, ' ')}`}>
          <StatusPill status={outcome.status} />
        </Link>
      </td>
      <td data-label="Environment">
        {build.environment} <span className="meta">{build.branch}</span>
      </td>
      <td data-label="Commit">
        <Link to={to}>
          <code>{shortSha(build.commitSha)}</code>
        </Link>
        {outcome.reason && <div className="reason">{outcome.reason}</div>}
      </td>
      <td data-label="Buildpack">{build.buildpack ?? '—'}</td>
      <td data-label="Started" className="nowrap" title={when(build.startedAt ?? build.createdAt)}>
        {ago(build.startedAt ?? build.createdAt)}
      </td>
      <td data-label="Took" className="nowrap">
        {buildIsActive(build) ? (build.status === 'queued' ? 'waiting' : 'running') : duration(build.startedAt, build.finishedAt)}
      </td>
    </tr>
  );
}
