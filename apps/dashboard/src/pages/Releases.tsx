// An environment's releases, newest first, with rollback to one that served (confirmed first)
// and a redeploy of the newest when it failed.
import { useState } from 'react';
import { useParams } from 'react-router';
import { api, hasRole, releaseIsActive, type Formation, type Release } from '../api';
import { ago, shortDigest, shortSha, when } from '../format';
import { useAction, useResource, useTitle } from '../hooks';
import { DataTable, Empty, ErrorNotice, ListOf, Notice, StatusPill, useConfirm } from '../ui';
import { EnvironmentPicker, useApp } from './AppLayout';

/** Faster while a release is rolling out, so it shows becoming current (or failing) soon. */
const POLL_MS = 10_000;
const POLL_ROLLOUT_MS = 2000;

export function ReleasesPage() {
  const { app } = useApp();
  const { env = 'production' } = useParams();
  useTitle(`Releases of ${env} · ${app.name}`);
  const [rollingOut, setRollingOut] = useState(false);
  const releases = useResource(`releases:${app.name}/${env}`, (signal) => api.releases(app.name, env, signal), { pollMs: rollingOut ? POLL_ROLLOUT_MS : POLL_MS });
  const anyRollingOut = releases.data?.some(releaseIsActive) ?? false;
  if (anyRollingOut !== rollingOut) setRollingOut(anyRollingOut);
  const [dialog, confirm] = useConfirm();
  const [done, setDone] = useState<Release>();
  const rollback = useAction((version: number) => api.rollback(app.name, env, version));
  const redeploy = useAction((version: number) => api.redeploy(app.name, env, version));
  const canRollBack = hasRole(app.role, 'member');
  const current = releases.data?.find((release) => release.current);

  const rollBackTo = async (release: Release) => {
    setDone(undefined);
    const ok = await confirm({
      title: `Roll ${env} back to v${release.version}?`,
      body: (
        <>
          <p>
            Berth makes a new release with v{release.version}'s image (commit <code>{shortSha(release.image?.commitSha)}</code>) and config, and replaces the
            running instances once the new ones are healthy.
          </p>
          <p>
            The config vars of {env} are set back to v{release.version}'s. Later releases stay in the history, so you can roll forward again.
          </p>
        </>
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

  const redeployNewest = async (release: Release) => {
    setDone(undefined);
    const created = await redeploy.run(release.version);
    if (created) {
      setDone(created);
      releases.reload();
    }
  };

  const newest = done && releases.data?.find((release) => release.version === done.version);
  const newestVersion = releases.data?.[0]?.version;
  const redeployed = done?.description.startsWith('Redeploy') ?? false;
  return (
    <>
      {dialog}
      <div className="section-head">
        <h2>Releases</h2>
        <EnvironmentPicker section="releases" />
      </div>
      <p className="lead">
        Each release is an image, a config and a formation. A push, a config change and a formation change each make one; rolling back makes a new one from an
        earlier release.
      </p>
      {done && (
        <Notice kind={newest?.status === 'failed' ? 'warning' : 'success'}>
          <p>
            {newest?.current
              ? `${redeployed ? 'Redeployed' : 'Rolled back'}: v${done.version} is serving.`
              : newest?.status === 'failed'
                ? `The ${redeployed ? 'redeploy' : 'rollback'} release v${done.version} failed: ${newest.failureReason ?? 'see below'}. ${current ? `v${current.version} keeps serving.` : ''}`
                : `${redeployed ? 'Redeploying' : 'Rolling back'}: v${done.version} becomes current once its instances are healthy.`}
          </p>
        </Notice>
      )}
      <ErrorNotice error={rollback.error ?? redeploy.error} />
      <ListOf
        resource={releases}
        loading="Loading releases"
        empty={
          <Empty title="No releases yet">
            <p>A successful build makes the first release; changing config or formation makes the next ones.</p>
          </Empty>
        }
      >
        {(items) => (
          <DataTable className="releases" columns={['Version', 'Status', 'What changed', 'Image', 'Formation', 'When', '']}>
            {items.map((release) => (
              <tr key={release.version} id={`v${release.version}`} className={release.current ? 'current' : undefined} data-version={release.version}>
                <td data-label="Version">
                  <strong>v{release.version}</strong> {release.current && <StatusPill status="current" />}
                </td>
                <td data-label="Status">
                  <StatusPill status={release.status} />
                  {release.failureReason && <div className="reason">{release.failureReason}</div>}
                </td>
                <td data-label="What changed">{release.description}</td>
                <td data-label="Image">
                  {release.image ? (
                    <>
                      <code>{shortSha(release.image.commitSha)}</code> <span className="meta">{shortDigest(release.image.digest)}</span>
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                <td data-label="Formation">{describeFormation(release.formation)}</td>
                <td data-label="When" title={when(release.createdAt)}>
                  {ago(release.createdAt)}
                  <div className="meta">{release.createdBy ?? 'Berth'}</div>
                </td>
                <td data-label="">
                  {/* Only to a release that once served (not one replaced or failed before it did), and not while another rolls out. */}
                  {canRollBack && !anyRollingOut && release.served && !release.current && release.image && (
                    <button type="button" className="button small secondary" onClick={() => rollBackTo(release)} disabled={rollback.busy}>
                      Roll back to v{release.version}
                    </button>
                  )}
                  {canRollBack && release.status === 'failed' && release.version === newestVersion && release.image && (
                    <button type="button" className="button small" onClick={() => redeployNewest(release)} disabled={redeploy.busy}>
                      Redeploy v{release.version}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListOf>
    </>
  );
}

/** "web 2 × 256 MB, 0.5 CPU" per process type that runs. */
function describeFormation(formation: Formation | undefined): string {
  if (!formation) return '—';
  const lines = Object.entries(formation)
    .filter(([, process]) => process.quantity > 0)
    .map(([type, process]) => `${type} ${process.quantity} × ${process.memoryMb} MB, ${process.cpu} CPU`);
  return lines.length ? lines.join('; ') : 'nothing runs';
}
