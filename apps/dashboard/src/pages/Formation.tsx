// How many instances of each process type an environment runs, and how big each one is.
import { useMemo, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, ApiError, hasRole, type Formation, type FormationField } from '../api';
import { draftFromFormation, FORMATION_FIELDS, formationChange, type FormationDraft } from '../edits';
import { bytes } from '../format';
import { useResource, useTitle } from '../hooks';
import { Empty, ErrorNotice, formMessage, Loading, Notice } from '../ui';
import { EnvironmentPicker, useApp } from './AppLayout';

/** Sizes to pick from; any other size can be typed in. */
const SIZES: { name: string; memoryMb: number; cpu: number }[] = [
  { name: 'nano', memoryMb: 128, cpu: 0.125 },
  { name: 'small', memoryMb: 256, cpu: 0.25 },
  { name: 'medium', memoryMb: 512, cpu: 0.5 },
  { name: 'large', memoryMb: 1024, cpu: 1 },
  { name: 'xlarge', memoryMb: 2048, cpu: 2 },
];

const FIELDS: { field: FormationField; label: string; step: string; hint: string }[] = [
  { field: 'quantity', label: 'Instances', step: '1', hint: '0 stops this process' },
  { field: 'memoryMb', label: 'Memory (MiB)', step: '16', hint: 'killed and restarted above this' },
  { field: 'cpu', label: 'CPU (cores)', step: '0.05', hint: 'share of one core, e.g. 0.25' },
  { field: 'pidsLimit', label: 'Process limit', step: '1', hint: 'processes and threads' },
  { field: 'diskMb', label: 'Disk (MB)', step: '64', hint: 'its files plus what it writes; fresh at each start' },
];

export function FormationPage() {
  const { app } = useApp();
  const { env = 'production' } = useParams();
  useTitle(`Formation of ${env} · ${app.name}`);
  const formation = useResource(`formation:${app.name}/${env}`, (signal) => api.formation(app.name, env, signal));
  return (
    <>
      <div className="section-head">
        <h2>Formation</h2>
        <EnvironmentPicker section="formation" />
      </div>
      <p className="lead">Each process type from your Procfile (or the buildpack's default web process) runs as many instances as you ask, each within these limits.</p>
      {formation.error ? (
        <ErrorNotice error={formation.error} onRetry={formation.reload} />
      ) : !formation.data ? (
        <Loading what="Loading formation" />
      ) : Object.keys(formation.data).length === 0 ? (
        <Empty title="No process types yet">
          <p>
            They appear after the first successful deploy of {env}: every process type of its Procfile, or a <code>web</code> process. Push your code first.
          </p>
        </Empty>
      ) : (
        <FormationEditor key={`${app.name}/${env}`} app={app.name} env={env} saved={formation.data} onSaved={formation.set} canEdit={hasRole(app.role, 'member')} />
      )}
    </>
  );
}

function FormationEditor({ app, env, saved, onSaved, canEdit }: { app: string; env: string; saved: Formation; onSaved: (f: Formation) => void; canEdit: boolean }) {
  const [draft, setDraft] = useState<FormationDraft>(() => draftFromFormation(saved));
  const [error, setError] = useState<ApiError>();
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const change = useMemo(() => formationChange(saved, draft), [saved, draft]);
  const dirty = Object.keys(change.patch).length > 0;

  const set = (type: string, field: FormationField, value: string) => {
    setDraft((current) => ({ ...current, [type]: { ...current[type], [field]: value } }));
    setDone(false);
    setProblems(({ [`${type}.${field}`]: _, ...rest }) => rest);
  };
  const pickSize = (type: string, name: string) => {
    const size = SIZES.find((s) => s.name === name);
    if (!size) return;
    setDraft((current) => ({ ...current, [type]: { ...current[type], memoryMb: String(size.memoryMb), cpu: String(size.cpu) } }));
    setDone(false);
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    if (Object.keys(change.problems).length) return setProblems(change.problems);
    if (!dirty) return;
    setBusy(true);
    try {
      const formation = await api.patchFormation(app, env, change.patch);
      onSaved(formation);
      setDraft(draftFromFormation(formation));
      setProblems({});
      setDone(true);
    } catch (caught) {
      const apiError = caught as ApiError;
      setProblems(apiError.fields ?? {});
      setError(apiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={save} noValidate>
      {done && (
        <Notice kind="success">
          <p>
            Saved as a new release. Berth starts the new instances beside the old ones and switches over once they are healthy; follow it on the{' '}
            <Link to={`/apps/${app}`}>overview</Link>.
          </p>
        </Notice>
      )}
      <div className="process-grid">
        {Object.keys(draft)
          .sort((a, b) => (a === 'web' ? -1 : b === 'web' ? 1 : a.localeCompare(b)))
          .map((type) => {
            const fields = draft[type];
            const size = SIZES.find((s) => String(s.memoryMb) === fields.memoryMb && String(s.cpu) === fields.cpu)?.name ?? 'custom';
            return (
              <fieldset key={type} className="card process" disabled={!canEdit}>
                <legend>
                  <code>{type}</code>
                </legend>
                <p className="command">{saved[type]?.command ?? "runs the image's own command"}</p>
                {saved[type]?.cpuRequest !== undefined && saved[type]?.memoryRequestMb !== undefined && (
                  <p className="meta">
                    Each instance books {bytes(saved[type].memoryRequestMb! * 1024 * 1024)} and {saved[type].cpuRequest} CPU on its host, and may use CPU up to its limit when the host has time to spare.
                  </p>
                )}
                <label className="size">
                  <span>Size</span>
                  <select value={size} onChange={(event) => pickSize(type, event.target.value)} aria-label={`Size of ${type}`}>
                    {SIZES.map((s) => (
                      <option key={s.name} value={s.name}>
                        {s.name}: {bytes(s.memoryMb * 1024 * 1024)}, {s.cpu} CPU
                      </option>
                    ))}
                    <option value="custom" disabled>
                      custom
                    </option>
                  </select>
                </label>
                <div className="process-fields">
                  {FIELDS.map(({ field, label, step, hint }) => {
                    const problem = problems[`${type}.${field}`] ?? problems[type];
                    return (
                      <label key={field} className={`field${problem ? ' invalid' : ''}`}>
                        <span>{label}</span>
                        <input
                          type="number"
                          inputMode="decimal"
                          min="0"
                          step={step}
                          value={fields[field]}
                          aria-label={`${label} of ${type}`}
                          aria-invalid={problem ? true : undefined}
                          onChange={(event) => set(type, field, event.target.value)}
                        />
                        {problem ? <span className="field-error">{problem}</span> : <span className="hint">{hint}</span>}
                      </label>
                    );
                  })}
                </div>
              </fieldset>
            );
          })}
      </div>
      <ErrorNotice error={formMessage(error, Object.keys(draft).flatMap((type) => [type, ...FORMATION_FIELDS.map((field) => `${type}.${field}`)]))} />
      {canEdit ? (
        <div className="actions">
          {dirty && (
            <button type="button" className="button secondary" onClick={() => setDraft(draftFromFormation(saved))}>
              Discard
            </button>
          )}
          <button type="submit" className="button" disabled={busy || !dirty}>
            {busy ? 'Saving…' : 'Save formation'}
          </button>
        </div>
      ) : (
        <p className="meta">Changing formation needs the member role on this app's team.</p>
      )}
    </form>
  );
}
