// An environment's config vars: masked until revealed; add, edit and remove, then save all
// changes as one PATCH (which makes one new release). Errors appear beside the var they are about.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, ApiError, type ConfigVars } from '../api';
import { configChange, rowForKey, rowsFromConfig, type ConfigRow } from '../edits';
import { useResource, useTitle } from '../hooks';
import { ErrorNotice, Loading, Notice } from '../ui';
import { EnvironmentPicker, useApp } from './AppLayout';

let nextRowId = 0;
const newRow = (): ConfigRow => ({ id: `new:${nextRowId++}`, key: '', value: '', removed: false });

export function ConfigPage() {
  const { app } = useApp();
  const { env = 'production' } = useParams();
  useTitle(`Config of ${env} · ${app.name}`);
  const saved = useResource(`config:${app.name}/${env}`, (signal) => api.config(app.name, env, signal));
  return (
    <>
      <div className="section-head">
        <h2>Config vars</h2>
        <EnvironmentPicker section="config" />
      </div>
      <p className="lead">
        Your app reads these as environment variables. They are encrypted at rest; saving makes a new release of <strong>{env}</strong>.
      </p>
      {saved.error ? (
        <ErrorNotice error={saved.error} onRetry={saved.reload} />
      ) : !saved.data ? (
        <Loading what="Loading config" />
      ) : (
        <ConfigEditor key={`${app.name}/${env}`} app={app.name} env={env} saved={saved.data} onSaved={saved.set} />
      )}
    </>
  );
}

function ConfigEditor({ app, env, saved, onSaved }: { app: string; env: string; saved: ConfigVars; onSaved: (vars: ConfigVars) => void }) {
  const [rows, setRows] = useState<ConfigRow[]>(() => rowsFromConfig(saved));
  const [revealed, setRevealed] = useState<Set<string>>(new Set());
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const [savedAt, setSavedAt] = useState<number>();
  const change = useMemo(() => configChange(saved, rows), [saved, rows]);
  const changes = Object.keys(change.patch).length;

  useEffect(() => {
    if (!changes) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [changes]);

  const update = (id: string, patch: Partial<ConfigRow>) => {
    setRows((current) => current.map((row) => (row.id === id ? { ...row, ...patch } : row)));
    setProblems(({ [id]: _, ...rest }) => rest);
    setSavedAt(undefined);
  };
  const add = () => {
    const row = newRow();
    setRows((current) => [...current, row]);
    setSavedAt(undefined);
  };
  const removeRow = (row: ConfigRow) => {
    if (row.savedKey === undefined) setRows((current) => current.filter((r) => r.id !== row.id));
    else update(row.id, { removed: !row.removed });
  };
  const toggle = (id: string) =>
    setRevealed((current) => {
      const next = new Set(current);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  const allRevealed = rows.every((row) => row.savedKey === undefined || revealed.has(row.id));

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    if (Object.keys(change.problems).length) return setProblems(change.problems);
    if (!changes) return;
    setBusy(true);
    try {
      const vars = await api.patchConfig(app, env, change.patch);
      onSaved(vars);
      setRows(rowsFromConfig(vars));
      setRevealed(new Set());
      setProblems({});
      setSavedAt(Date.now());
    } catch (caught) {
      const apiError = caught as ApiError;
      const byRow: Record<string, string> = {};
      const unplaced: string[] = [];
      for (const [key, message] of Object.entries(apiError.fields ?? {})) {
        const id = rowForKey(rows, key);
        if (id) byRow[id] = `${key} ${message}`;
        else unplaced.push(`${key}: ${message}`);
      }
      setProblems(byRow);
      // Field errors show beside their rows; anything else shows above the buttons.
      if (!Object.keys(byRow).length || unplaced.length) setError(apiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="config" onSubmit={save} noValidate>
      {savedAt && (
        <Notice kind="success">
          <p>
            Saved. Once {env} is deployed, every change makes a new release, which replaces its instances: see <Link to={`/apps/${app}/environments/${env}/releases`}>Releases</Link>.
          </p>
        </Notice>
      )}
      {rows.length === 0 ? (
        <p className="empty-inline">No config vars yet. Add what your app reads from its environment, such as DATABASE_URL or API keys.</p>
      ) : (
        <>
          <div className="config-tools">
            <button
              type="button"
              className="link"
              onClick={() => setRevealed(allRevealed ? new Set() : new Set(rows.filter((r) => r.savedKey !== undefined).map((r) => r.id)))}
            >
              {allRevealed ? 'Hide all values' : 'Reveal all values'}
            </button>
          </div>
          <ul className="config-rows" aria-label="Config vars">
            {rows.map((row) => (
              <ConfigRowEditor
                key={row.id}
                row={row}
                revealed={row.savedKey === undefined || revealed.has(row.id)}
                problem={problems[row.id]}
                changed={row.savedKey !== undefined && !row.removed && row.value !== saved[row.savedKey]}
                onChange={(patch) => update(row.id, patch)}
                onToggle={() => toggle(row.id)}
                onRemove={() => removeRow(row)}
              />
            ))}
          </ul>
        </>
      )}
      <ErrorNotice error={error} />
      <div className="actions spread">
        <button type="button" className="button secondary" onClick={add}>
          Add a variable
        </button>
        <div className="actions">
          {changes > 0 && (
            <>
              <span className="unsaved">
                {changes} unsaved change{changes === 1 ? '' : 's'}
              </span>
              <button
                type="button"
                className="button secondary"
                onClick={() => {
                  setRows(rowsFromConfig(saved));
                  setProblems({});
                  setError(undefined);
                }}
              >
                Discard
              </button>
            </>
          )}
          <button type="submit" className="button" disabled={busy || (!changes && !Object.keys(change.problems).length)}>
            {busy ? 'Saving…' : 'Save changes'}
          </button>
        </div>
      </div>
    </form>
  );
}

function ConfigRowEditor(props: {
  row: ConfigRow;
  revealed: boolean;
  problem?: string;
  changed: boolean;
  onChange: (patch: Partial<ConfigRow>) => void;
  onToggle: () => void;
  onRemove: () => void;
}) {
  const { row, revealed, problem, changed } = props;
  const isNew = row.savedKey === undefined;
  const label = row.key || 'new variable';
  return (
    <li className={`config-row${row.removed ? ' removed' : ''}${problem ? ' invalid' : ''}${changed || isNew ? ' changed' : ''}`} data-key={row.savedKey ?? row.key}>
      <input
        className="key"
        aria-label={isNew ? 'Name' : `Name of ${row.key}`}
        value={row.key}
        readOnly={!isNew}
        placeholder="NAME"
        spellCheck={false}
        autoComplete="off"
        onChange={(event) => props.onChange({ key: event.target.value })}
      />
      {revealed ? (
        <textarea
          className="value"
          aria-label={`Value of ${label}`}
          value={row.value}
          rows={1}
          spellCheck={false}
          autoComplete="off"
          disabled={row.removed}
          placeholder="value"
          onChange={(event) => props.onChange({ value: event.target.value })}
        />
      ) : (
        <span className="value masked" aria-label={`Value of ${label} (hidden)`}>
          ••••••••••••
        </span>
      )}
      <span className="row-actions">
        {!isNew && (
          <button type="button" className="link" onClick={props.onToggle} aria-label={`${revealed ? 'Hide' : 'Reveal'} ${row.key}`}>
            {revealed ? 'Hide' : 'Reveal'}
          </button>
        )}
        <button type="button" className="link danger" onClick={props.onRemove} aria-label={`${row.removed ? 'Keep' : 'Remove'} ${label}`}>
          {row.removed ? 'Undo' : 'Remove'}
        </button>
      </span>
      {row.removed && <span className="row-note">Removed when you save.</span>}
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
    </li>
  );
}
