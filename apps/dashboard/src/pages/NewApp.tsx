// Create an app: a name, a team, the branch that deploys production.
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, hasRole } from '../api';
import { useMe } from '../auth';
import { useAction, useTitle } from '../hooks';
import { ErrorNotice, Field, formMessage, Notice } from '../ui';

export function NewAppPage() {
  useTitle('New app');
  const { me } = useMe();
  const navigate = useNavigate();
  const teams = me.memberships.filter((m) => hasRole(m.role, 'member')).map((m) => m.team);
  const personal = teams.find((team) => team.personal) ?? teams[0];
  const [name, setName] = useState('');
  const [team, setTeam] = useState(personal?.name ?? '');
  const [branch, setBranch] = useState('main');
  const create = useAction(api.createApp);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const app = await create.run({ name: name.trim(), ...(team && team !== personal?.name ? { team } : {}), productionBranch: branch.trim() || 'main' });
    if (app) navigate(`/apps/${app.name}?created=1`);
  };

  return (
    <section className="narrow">
      <p className="crumbs">
        <Link to="/apps">Apps</Link> /
      </p>
      <h1>Create an app</h1>
      {teams.length === 0 && (
        <Notice kind="warning">
          <p>
            You can only view apps in your teams. Ask a team admin to make you a member, or <Link to="/teams">create a team of your own</Link>.
          </p>
        </Notice>
      )}
      <form onSubmit={submit} noValidate className="card form">
        <Field
          label="App name"
          error={create.error?.fields.name}
          hint="Becomes part of its URL: 3 to 30 lowercase letters, digits and single hyphens, starting with a letter."
        >
          {(props) => (
            <input {...props} value={name} onChange={(e) => setName(e.target.value.toLowerCase())} placeholder="my-app" autoComplete="off" spellCheck={false} autoFocus required />
          )}
        </Field>
        {teams.length > 1 && (
          <Field label="Team" error={create.error?.fields.team} hint="Everyone in the team can see the app; members and above can deploy it.">
            {(props) => (
              <select {...props} value={team} onChange={(e) => setTeam(e.target.value)}>
                {teams.map((t) => (
                  <option key={t.id} value={t.name}>
                    {t.name}
                    {t.personal ? ' (personal)' : ''}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <Field label="Production branch" error={create.error?.fields.productionBranch} hint="Pushing this branch deploys production; every other branch gets a preview environment.">
          {(props) => <input {...props} value={branch} onChange={(e) => setBranch(e.target.value)} autoComplete="off" spellCheck={false} />}
        </Field>
        <ErrorNotice error={formMessage(create.error, ['name', 'team', 'productionBranch'])} />
        <div className="actions">
          <Link className="button secondary" to="/apps">
            Cancel
          </Link>
          <button className="button" type="submit" disabled={create.busy}>
            {create.busy ? 'Creating…' : 'Create app'}
          </button>
        </div>
      </form>
    </section>
  );
}
