// An environment's custom domains: names of your own that the router sends to it, besides its
// Berth address.
import { useState, type FormEvent } from 'react';
import { useParams } from 'react-router';
import { api, hasRole, type Domain } from '../api';
import { ago, when } from '../format';
import { useAction, useResource, useTitle } from '../hooks';
import { DataTable, Empty, ErrorNotice, Field, formMessage, ListOf, Notice, useConfirm } from '../ui';
import { EnvironmentPicker, useApp } from './AppLayout';

export function DomainsPage() {
  const { app } = useApp();
  const { env = 'production' } = useParams();
  useTitle(`Domains of ${env} · ${app.name}`);
  const domains = useResource(`domains:${app.name}/${env}`, (signal) => api.domains(app.name, env, signal));
  const environment = app.environments.find((e) => e.name === env);
  const canChange = hasRole(app.role, 'member');
  const [dialog, confirm] = useConfirm();
  const [notice, setNotice] = useState<string>();
  const remove = useAction(async (domain: Domain) => {
    await api.removeDomain(app.name, env, domain.hostname);
    return true;
  });

  const removeDomain = async (domain: Domain) => {
    setNotice(undefined);
    const ok = await confirm({
      title: `Remove ${domain.hostname}?`,
      body: <p>The router stops sending {domain.hostname} to {env} at once; visitors get a “no such app” page until you add it again.</p>,
      confirm: 'Remove domain',
      danger: true,
    });
    if (ok && (await remove.run(domain))) {
      setNotice(`${domain.hostname} was removed.`);
      domains.reload();
    }
  };

  return (
    <>
      {dialog}
      <div className="section-head">
        <h2>Domains</h2>
        <EnvironmentPicker section="domains" />
      </div>
      <p className="lead">
        {env} always answers at <code>{environment?.url.replace(/^https?:\/\//, '') ?? env}</code>. Add names of your own, then point their DNS at the router: a{' '}
        <code>CNAME</code> to that address, or an <code>A</code> record to the router's IP address.
      </p>
      {notice && (
        <Notice kind="success">
          <p>{notice}</p>
        </Notice>
      )}
      {canChange && (
        <AddDomain
          app={app.name}
          env={env}
          onSubmit={() => setNotice(undefined)}
          onAdded={(domain) => {
            setNotice(`${domain.hostname} now points at ${env}.`);
            domains.reload();
          }}
        />
      )}
      <ErrorNotice error={remove.error} />
      <ListOf
        resource={domains}
        loading="Loading domains"
        empty={
          <Empty title="No custom domains">
            <p>{canChange ? 'Add one above, such as www.example.com.' : 'Members of the team can add one, such as www.example.com.'}</p>
          </Empty>
        }
      >
        {(items) => (
          <DataTable className="domains" columns={['Domain', 'Added', '']}>
            {items.map((domain) => (
              <tr key={domain.hostname} data-domain={domain.hostname}>
                <td data-label="Domain">
                  <a className="url" href={domain.url} target="_blank" rel="noreferrer">
                    {domain.hostname}
                  </a>
                </td>
                <td data-label="Added" title={when(domain.createdAt)}>
                  {ago(domain.createdAt)}
                </td>
                <td data-label="">
                  {canChange && (
                    <button type="button" className="button small secondary" onClick={() => removeDomain(domain)} disabled={remove.busy} aria-label={`Remove ${domain.hostname}`}>
                      Remove
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

function AddDomain({ app, env, onSubmit, onAdded }: { app: string; env: string; onSubmit: () => void; onAdded: (domain: Domain) => void }) {
  const [hostname, setHostname] = useState('');
  const add = useAction((name: string) => api.addDomain(app, env, name));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    onSubmit();
    const domain = await add.run(hostname.trim());
    if (domain) {
      setHostname('');
      onAdded(domain);
    }
  };
  // A name taken elsewhere (409) is about the name too: show it beside the field.
  const fieldError = add.error?.fields.hostname ?? (add.error?.status === 409 ? add.error.message : undefined);
  return (
    <form className="card form inline-form" onSubmit={submit} noValidate>
      <Field label="Domain name" error={fieldError} hint="A name you own, such as www.example.com.">
        {(props) => (
          <input {...props} value={hostname} onChange={(event) => setHostname(event.target.value)} placeholder="www.example.com" autoComplete="off" spellCheck={false} />
        )}
      </Field>
      <ErrorNotice error={add.error?.status === 409 ? undefined : formMessage(add.error, ['hostname'])} />
      <div className="actions">
        <button type="submit" className="button" disabled={add.busy || !hostname.trim()}>
          {add.busy ? 'Adding…' : 'Add domain'}
        </button>
      </div>
    </form>
  );
}
