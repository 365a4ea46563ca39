// Small building blocks every page uses: notices, fields, empty states, copy buttons,
// status pills and the confirmation dialog.
import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { ApiError } from './api';
import type { Resource } from './hooks';

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> {what}…
    </p>
  );
}

/** What went wrong, in the API's own words (they say what to do next). */
export function ErrorNotice({ error, onRetry }: { error: ApiError | undefined; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <div className="notice error" role="alert">
      <p>{error.message}</p>
      {onRetry && error.status === 0 && (
        <button type="button" className="button small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A list from the API: its error (with a retry), loading, its empty state, or the items. */
export function ListOf<T>({ resource, loading, empty, children }: { resource: Resource<T[]>; loading: string; empty: ReactNode; children: (items: T[]) => ReactNode }) {
  if (resource.error && !resource.data) return <ErrorNotice error={resource.error} onRetry={resource.reload} />;
  if (!resource.data) return <Loading what={loading} />;
  return <>{resource.data.length === 0 ? empty : children(resource.data)}</>;
}

export function Notice({ kind = 'info', children }: { kind?: 'info' | 'success' | 'warning'; children: ReactNode }) {
  return (
    <div className={`notice ${kind}`} role={kind === 'success' ? 'status' : undefined}>
      {children}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <h3>{title}</h3>
      {children}
    </div>
  );
}

/** A labelled input with its hint and, when the server refused it, the reason beside it. */
export function Field({ label, error, hint, children }: { label: string; error?: string; hint?: ReactNode; children: (props: { id: string; 'aria-invalid'?: boolean; 'aria-describedby'?: string }) => ReactNode }) {
  const id = useId();
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div className={`field${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, ...(error ? { 'aria-invalid': true } : {}), ...(describedBy ? { 'aria-describedby': describedBy } : {}) })}
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : hint ? (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** The message of an error that is not about one of the form's own fields. */
export function formMessage(error: ApiError | undefined, fieldNames: string[]): ApiError | undefined {
  if (!error) return undefined;
  const keys = Object.keys(error.fields);
  return keys.length && keys.every((key) => fieldNames.includes(key)) ? undefined : error;
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API refused (permissions, insecure origin): fall back to a selection.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <button type="button" className="button small secondary copy" onClick={async () => setState((await copyText(text)) ? 'copied' : 'failed')}>
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy' : label}
    </button>
  );
}

/** Commands to paste into a terminal, with a button that copies them all. */
export function Commands({ lines, label }: { lines: string[]; label?: string }) {
  return (
    <div className="commands" aria-label={label}>
      <pre>
        <code>{lines.join('\n')}</code>
      </pre>
      <CopyButton text={lines.join('\n')} />
    </div>
  );
}

const STATUS_TONE: Record<string, string> = {
  succeeded: 'good',
  running: 'good',
  active: 'good',
  healthy: 'good',
  current: 'good',
  ready: 'good',
  building: 'busy',
  deploying: 'busy',
  starting: 'busy',
  stopping: 'busy',
  draining: 'busy',
  queued: 'wait',
  pending: 'wait',
  cordoned: 'wait',
  unreachable: 'wait',
  not_deployed: 'quiet',
  scaled_to_zero: 'quiet',
  sleeping: 'quiet',
  superseded: 'quiet',
  stopped: 'quiet',
  failed: 'bad',
  build_failed: 'bad',
  release_failed: 'bad',
  crashed: 'bad',
  unhealthy: 'bad',
  unplaced: 'bad',
  down: 'bad',
};

export function StatusPill({ status, title }: { status: string; title?: string }) {
  const tone = STATUS_TONE[status.toLowerCase()] ?? 'quiet';
  return (
    <span className={`pill ${tone}`} title={title} data-status={status}>
      {status.replace(/_/g, ' ')}
    </span>
  );
}

/**
 * A table that turns into a stack of labelled rows on a phone: give each cell
 * `data-label` (its column's name; "" for a cell of buttons).
 */
export function DataTable({ columns, className, children }: { columns: string[]; className: string; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table className={`stack ${className}`}>
        <thead>
          <tr>
            {columns.map((column, index) => (
              <th key={index}>{column || <span className="sr-only">Actions</span>}</th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A bar for "used of limit", e.g. memory. */
export function Meter({ used, limit, label }: { used: number | null; limit: number | null; label: string }) {
  if (used === null || !limit) return null;
  const share = Math.min(1, used / limit);
  return (
    <span className={`meter${share > 0.9 ? ' high' : ''}`} role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={limit} aria-valuenow={used}>
      <span style={{ width: `${Math.round(share * 100)}%` }} />
    </span>
  );
}

export interface ConfirmOptions {
  title: string;
  body: ReactNode;
  confirm: string;
  danger?: boolean;
  /** The person must type this to confirm, for what cannot be undone. */
  typeToConfirm?: string;
}

/** `const [dialog, confirm] = useConfirm()`: render `dialog`, then `await confirm({...})`. */
export function useConfirm(): [ReactNode, (options: ConfirmOptions) => Promise<boolean>] {
  const [request, setRequest] = useState<{ options: ConfirmOptions; resolve: (ok: boolean) => void }>();
  const confirm = useCallback((options: ConfirmOptions) => new Promise<boolean>((resolve) => setRequest({ options, resolve })), []);
  const close = useCallback(
    (ok: boolean) => {
      request?.resolve(ok);
      setRequest(undefined);
    },
    [request],
  );
  return [request ? <ConfirmDialog key={request.options.title} options={request.options} onClose={close} /> : null, confirm];
}

function ConfirmDialog({ options, onClose }: { options: ConfirmOptions; onClose: (ok: boolean) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  const inputId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  const ready = !options.typeToConfirm || typed === options.typeToConfirm;
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={`${inputId}-title`}
      onCancel={(event) => {
        event.preventDefault();
        onClose(false);
      }}
    >
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          if (ready) onClose(true);
        }}
      >
        <h2 id={`${inputId}-title`}>{options.title}</h2>
        <div className="dialog-body">{options.body}</div>
        {options.typeToConfirm && (
          <div className="field">
            <label htmlFor={inputId}>
              Type <code>{options.typeToConfirm}</code> to confirm
            </label>
            <input id={inputId} value={typed} onChange={(event) => setTyped(event.target.value)} autoComplete="off" autoFocus />
          </div>
        )}
        <div className="actions">
          <button type="button" className="button secondary" onClick={() => onClose(false)}>
            Cancel
          </button>
          <button type="submit" className={`button${options.danger ? ' danger' : ''}`} disabled={!ready} autoFocus={!options.typeToConfirm}>
            {options.confirm}
          </button>
        </div>
      </form>
    </dialog>
  );
}
