// An environment's releases, newest first, with rollback to any earlier one (confirmed first).
import { useState } from 'react';
import { useParams } from 'react-router';
import { api, hasRole, type Release } from '../api';
import { ago, shortDigest, shortSha, when } from '../format';
import { useAction, useResource, useTitle } from '../hooks';
import { DataTable, Empty, ErrorNotice, Loading, Notice, StatusPill, useConfirm } from '../ui';
import { EnvironmentPicker, useApp } from './AppLayout';

export function ReleasesPage() {
  const { app } = useApp();
  const { env = 'production' } = useParams();
  useTitle(`Releases of ${env} · ${app.name}`);
  const releases = useResource(`releases:${app.name}/${env}`, (signal) => api.releases(app.name, env, signal), { pollMs: 10_000 });
  const [dialog, confirm] = useConfirm();
  const [done, setDone] = useState<Release>();
  const rollback = useAction((version: number) => api.rollback(app.name, env, version));
  const canRollBack = hasRole(app.role, 'member');

  const rollBackTo = async (release: Release) => {
    setDone(undefined);
    const ok = await confirm({
      title: `Roll ${env} back to v${release.version}?`,
      body: (
        <p>
          Berth makes a new release from v{release.version}'s image (commit <code>{shortSha(release.image?.commitSha)}</code>) and config, and
          replaces the running instances once the new ones are healthy. Later releases stay in the history.
        </p>
      ),
      confirm: `Roll back to v${release.version}`,
    });
    if (!ok) return;
    const created = await rollback.run(release.version);
    if (created) {
      setDone(created);
      releases.reload();
    }
  };

  return (
    <>
      {dialog}
      <div className="section-head">
        <h2>Releases</h2>
        <EnvironmentPicker section="releases" />
      </div>
      {done && (
        <Notice kind="success">
          <p>
            Rolling back: v{done.version} is {done.status}. It becomes current once its instances are healthy.
          </p>
        </Notice>
      )}
      <ErrorNotice error={rollback.error} feature="Rollback" />
      {releases.error ? (
        <ErrorNotice error={releases.error} feature="Releases" onRetry={releases.reload} />
      ) : !releases.data ? (
        <Loading what="Loading releases" />
      ) : releases.data.length === 0 ? (
        <Empty title="No releases yet">
          <p>A successful build makes the first release; changing config or formation makes the next ones.</p>
        </Empty>
      ) : (
        <DataTable className="releases" columns={['Version', 'Status', 'What changed', 'Image', 'When', '']}>
          {[...releases.data]
            .sort((a, b) => b.version - a.version)
            .map((release) => (
              <tr key={release.version} className={release.current ? 'current' : undefined}>
                <td data-label="Version">
                  <strong>v{release.version}</strong> {release.current && <StatusPill status="current" />}
                </td>
                <td data-label="Status">
                  <StatusPill status={release.status} />
                </td>
                <td data-label="What changed">{release.description ?? '—'}</td>
                <td data-label="Image">
                  {release.image ? (
                    <>
                      <code>{shortSha(release.image.commitSha)}</code> <span className="meta">{shortDigest(release.image.digest)}</span>
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                <td data-label="When" title={when(release.createdAt)}>
                  {ago(release.createdAt)}
                </td>
                <td data-label="">
                  {canRollBack && !release.current && release.image && (
                    <button type="button" className="button small secondary" onClick={() => rollBackTo(release)} disabled={rollback.busy}>
                      Roll back to v{release.version}
                    </button>
                  )}
                </td>
              </tr>
            ))}
        </DataTable>
      )}
    </>
  );
}
