// API tokens: for scripts, CI and `git push`. A new token's secret is shown once.
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, SCOPES, type NewToken, type Scope, type Token } from '../api';
import { ago, when } from '../format';
import { returnTarget } from '../return-to';
import { useAction, useResource, useTitle } from '../hooks';
import { CopyButton, DataTable, Empty, ErrorNotice, Field, formMessage, Loading, Notice, useConfirm } from '../ui';

const SCOPE_HELP: Record<Scope, string> = {
  read: 'read apps, builds, releases (GET requests)',
  write: 'change things through the API',
  git: 'push code with git (use it as the password)',
};

const EXPIRY: { label: string; days?: number }[] = [
  { label: '30 days', days: 30 },
  { label: '90 days', days: 90 },
  { label: '1 year', days: 365 },
  { label: '7 days', days: 7 },
  { label: 'Never', days: undefined },
];

export function TokensPage() {
  useTitle('API tokens');
  const [params] = useSearchParams();
  const back = returnTarget(params.get('return'));
  const navigate = useNavigate();
  const tokens = useResource('tokens', (signal) => api.tokens(signal));
  const [created, setCreated] = useState<NewToken>();
  const [dialog, confirm] = useConfirm();
  const [revoked, setRevoked] = useState<string>();
  const revoke = useAction(async (token: Token) => {
    await api.revokeToken(token.id);
    return true;
  });

  const revokeToken = async (token: Token) => {
    setRevoked(undefined);
    const ok = await confirm({
      title: `Revoke ${token.name}?`,
      body: (
        <p>
          Anything using the token <code>{token.prefix}…</code> stops working at once. If it is the token of this browser session, you are logged out.
        </p>
      ),
      confirm: 'Revoke token',
      danger: true,
    });
    if (!ok || !(await revoke.run(token))) return;
    if (created?.id === token.id) setCreated(undefined);
    setRevoked(`${token.name} was revoked.`);
    tokens.reload();
  };

  return (
    <>
      {dialog}
      {back && (
        <p className="crumbs">
          <Link to={back.to}>{back.label}</Link>
        </p>
      )}
      <div className="page-head">
        <h1>API tokens</h1>
      </div>
      <p className="lead">
        Tokens let scripts, CI and <code>git push</code> act as you. Send one as <code>Authorization: Bearer &lt;token&gt;</code>, or give it as the password when git
        asks.
      </p>
      {created ? (
        <NewTokenNotice token={created} doneLabel={back ? `Done, I have copied it: ${back.label.toLowerCase()}` : undefined} onDone={() => (back ? navigate(back.to) : setCreated(undefined))} />
      ) : (
        <CreateToken
          onCreated={(token) => {
            setCreated(token);
            setRevoked(undefined);
            tokens.reload();
          }}
        />
      )}
      {revoked && (
        <Notice kind="success">
          <p>{revoked}</p>
        </Notice>
      )}
      <ErrorNotice error={revoke.error} />
      <section className="card">
        <h2>Your tokens</h2>
        <ErrorNotice error={tokens.error} onRetry={tokens.reload} />
        {!tokens.data && !tokens.error && <Loading />}
        {tokens.data?.length === 0 && <Empty title="No tokens">You have no tokens, not even for this session. Log in again to get one.</Empty>}
        {!!tokens.data?.length && (
          <DataTable className="tokens" columns={['Name', 'Token', 'Scopes', 'Last used', 'Expires', '']}>
            {tokens.data.map((token) => (
              <tr key={token.id} data-token={token.name}>
                <td data-label="Name">
                  {token.name}
                  <div className="meta">created {ago(token.createdAt)}</div>
                </td>
                <td data-label="Token">
                  <code>{token.prefix}…</code>
                </td>
                <td data-label="Scopes">{token.scopes.join(', ')}</td>
                <td data-label="Last used">{token.lastUsedAt ? ago(token.lastUsedAt) : 'never'}</td>
                <td data-label="Expires" title={when(token.expiresAt)}>
                  {token.expiresAt ? ago(token.expiresAt) : 'never'}
                </td>
                <td data-label="">
                  <button type="button" className="link danger" onClick={() => revokeToken(token)} disabled={revoke.busy} aria-label={`Revoke ${token.name}`}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </section>
    </>
  );
}

function CreateToken({ onCreated }: { onCreated: (token: NewToken) => void }) {
  const [params] = useSearchParams();
  const forGit = params.get('new') === 'git';
  const [name, setName] = useState(forGit ? 'git push' : '');
  const [scopes, setScopes] = useState<Set<Scope>>(new Set(forGit ? ['git'] : ['read', 'write']));
  const [expiry, setExpiry] = useState(forGit ? '1 year' : EXPIRY[0].label);
  const create = useAction(api.createToken);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const days = EXPIRY.find((e) => e.label === expiry)?.days;
    const token = await create.run({ name: name.trim(), scopes: SCOPES.filter((s) => scopes.has(s)), ...(days ? { expiresInDays: days } : {}) });
    if (token) onCreated(token);
  };
  const toggle = (scope: Scope) =>
    setScopes((current) => {
      const next = new Set(current);
      if (!next.delete(scope)) next.add(scope);
      return next;
    });

  return (
    <form className="card form" onSubmit={submit} noValidate aria-labelledby="new-token-title">
      <h2 id="new-token-title">Create a token</h2>
      <div className="row">
        <Field label="Name" error={create.error?.fields.name} hint="Where you will use it, e.g. “laptop git” or “CI deploys”.">
          {(props) => <input {...props} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" autoFocus={forGit} />}
        </Field>
        <Field label="Expires" error={create.error?.fields.expiresInDays}>
          {(props) => (
            <select {...props} value={expiry} onChange={(e) => setExpiry(e.target.value)}>
              {EXPIRY.map((e) => (
                <option key={e.label}>{e.label}</option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <fieldset className="scopes">
        <legend>Scopes</legend>
        {SCOPES.map((scope) => (
          <label key={scope} className="check">
            <input type="checkbox" checked={scopes.has(scope)} onChange={() => toggle(scope)} />
            <strong>{scope}</strong>
            <span className="meta">{SCOPE_HELP[scope]}</span>
          </label>
        ))}
        {create.error?.fields.scopes && <p className="field-error">{create.error.fields.scopes}</p>}
      </fieldset>
      <ErrorNotice error={formMessage(create.error, ['name', 'scopes', 'expiresInDays'])} />
      <button type="submit" className="button" disabled={create.busy || !name.trim() || scopes.size === 0}>
        Create token
      </button>
    </form>
  );
}

function NewTokenNotice({ token, doneLabel, onDone }: { token: NewToken; doneLabel?: string; onDone: () => void }) {
  return (
    <section className="card new-token" aria-labelledby="created-title">
      <h2 id="created-title">Token “{token.name}” created</h2>
      <p>
        <strong>Copy it now: it is shown only this once.</strong> Berth keeps only a fingerprint of it.
      </p>
      <div className="secret">
        <input readOnly value={token.token} aria-label="New token" onFocus={(event) => event.currentTarget.select()} spellCheck={false} />
        <CopyButton text={token.token} />
      </div>
      {token.scopes.includes('git') && (
        <p className="hint">
          For <code>git push</code>: when git asks for a password, paste this token (any user name works).
        </p>
      )}
      <button type="button" className="button secondary" onClick={onDone}>
        {doneLabel ?? 'Done, I have copied it'}
      </button>
    </section>
  );
}
