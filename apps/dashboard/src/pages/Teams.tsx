// Teams and their members: who can see and change which apps.
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, hasRole, ROLES, type Member, type Role, type TeamDetail } from '../api';
import { useMe } from '../auth';
import { ago } from '../format';
import { useAction, useResource, useTitle } from '../hooks';
import { DataTable, ErrorNotice, Field, formMessage, Loading, Notice, useConfirm } from '../ui';

const ROLE_HELP: Record<Role, string> = {
  owner: 'everything, including managing owners',
  admin: 'manages members, deletes apps',
  member: 'deploys, changes config and formation, rolls back',
  viewer: 'reads apps, builds and releases',
};

export function TeamsPage() {
  useTitle('Teams');
  const teams = useResource('teams', (signal) => api.teams(signal));
  const { reload: reloadMe } = useMe();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const create = useAction(api.createTeam);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const team = await create.run(name.trim());
    if (!team) return;
    reloadMe();
    navigate(`/teams/${team.name}`);
  };

  return (
    <>
      <div className="page-head">
        <h1>Teams</h1>
      </div>
      <p className="lead">Apps belong to teams. Everyone in a team sees its apps; what they may change depends on their role.</p>
      <ErrorNotice error={teams.error} onRetry={teams.reload} />
      {!teams.data && !teams.error && <Loading />}
      {teams.data && (
        <ul className="cards" aria-label="Teams">
          {teams.data.map((team) => (
            <li className="card" key={team.id}>
              <div className="card-head">
                <h2>
                  <Link to={`/teams/${team.name}`}>{team.name}</Link>
                </h2>
                <span className="role">{team.role}</span>
              </div>
              <p className="meta">{team.personal ? 'Your personal team' : `Created ${ago(team.createdAt)}`}</p>
            </li>
          ))}
        </ul>
      )}
      <form className="card form inline-form" onSubmit={submit} noValidate>
        <h2>Create a team</h2>
        <Field label="Team name" error={create.error?.fields.name} hint="Lowercase letters, digits and hyphens. You become its owner.">
          {(props) => <input {...props} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" spellCheck={false} />}
        </Field>
        <ErrorNotice error={formMessage(create.error, ['name'])} />
        <button type="submit" className="button" disabled={create.busy || !name.trim()}>
          Create team
        </button>
      </form>
    </>
  );
}

export function TeamPage() {
  const { team: name = '' } = useParams();
  useTitle(`Team ${name}`);
  const team = useResource(`team:${name}`, (signal) => api.team(name, signal));
  return (
    <>
      <p className="crumbs">
        <Link to="/teams">Teams</Link> /
      </p>
      <div className="page-head">
        <h1>{name}</h1>
        {team.data && <span className="role">you are {team.data.role}</span>}
      </div>
      {team.error ? <ErrorNotice error={team.error} onRetry={team.reload} /> : !team.data ? <Loading /> : <Members team={team.data} onChange={team.set} reload={team.reload} />}
    </>
  );
}

function Members({ team, onChange, reload }: { team: TeamDetail; onChange: (team: TeamDetail) => void; reload: () => void }) {
  const { me, reload: reloadMe } = useMe();
  const navigate = useNavigate();
  const [dialog, confirm] = useConfirm();
  const [message, setMessage] = useState<string>();
  const isAdmin = hasRole(team.role, 'admin');
  const isOwner = team.role === 'owner';
  const changeRole = useAction(api.changeRole);
  const remove = useAction(async (member: Member) => {
    await api.removeMember(team.name, member.userId);
    return true;
  });

  const replace = (member: Member) => onChange({ ...team, members: team.members.map((m) => (m.userId === member.userId ? member : m)) });

  const setRole = async (member: Member, role: Role) => {
    setMessage(undefined);
    const updated = await changeRole.run(team.name, member.userId, role);
    if (!updated) return;
    replace(updated);
    setMessage(`${updated.email} is now ${updated.role}.`);
    if (member.userId === me.id) {
      reloadMe();
      reload();
    }
  };

  const removeMember = async (member: Member) => {
    setMessage(undefined);
    const self = member.userId === me.id;
    const ok = await confirm({
      title: self ? `Leave ${team.name}?` : `Remove ${member.email}?`,
      body: <p>{self ? `You lose access to the apps of ${team.name}.` : `${member.email} loses access to the apps of ${team.name}. You can add them again later.`}</p>,
      confirm: self ? 'Leave team' : 'Remove member',
      danger: true,
    });
    if (!ok || !(await remove.run(member))) return;
    if (self) {
      reloadMe();
      navigate('/teams', { replace: true });
      return;
    }
    onChange({ ...team, members: team.members.filter((m) => m.userId !== member.userId) });
    setMessage(`${member.email} was removed.`);
  };

  return (
    <>
      {dialog}
      {message && (
        <Notice kind="success">
          <p>{message}</p>
        </Notice>
      )}
      <ErrorNotice error={changeRole.error ?? remove.error} />
      <section className="card">
        <h2>Members</h2>
        <DataTable className="members" columns={['Email', 'Role', 'Since', '']}>
          {team.members.map((member) => {
            const self = member.userId === me.id;
            const canChange = isAdmin && (isOwner || member.role !== 'owner');
            return (
              <tr key={member.userId} data-email={member.email}>
                <td data-label="Email">
                  {member.email} {self && <span className="meta">(you)</span>}
                </td>
                <td data-label="Role">
                  {canChange ? (
                    <select
                      aria-label={`Role of ${member.email}`}
                      value={member.role}
                      disabled={changeRole.busy}
                      onChange={(event) => setRole(member, event.target.value as Role)}
                    >
                      {ROLES.filter((role) => isOwner || role !== 'owner').map((role) => (
                        <option key={role} value={role}>
                          {role}
                        </option>
                      ))}
                    </select>
                  ) : (
                    member.role
                  )}
                </td>
                <td data-label="Since">{ago(member.since)}</td>
                <td data-label="">
                  {(self || canChange) && (
                    <button type="button" className="link danger" onClick={() => removeMember(member)} disabled={remove.busy}>
                      {self ? 'Leave' : 'Remove'}
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </DataTable>
      </section>
      {isAdmin ? (
        <AddMember
          team={team}
          onAdded={(member) => {
            onChange({ ...team, members: [...team.members, member] });
            setMessage(`${member.email} joined as ${member.role}.`);
          }}
        />
      ) : (
        <p className="meta">Adding members needs the admin role.</p>
      )}
    </>
  );
}

function AddMember({ team, onAdded }: { team: TeamDetail; onAdded: (member: Member) => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const add = useAction(api.addMember);
  const roles = ROLES.filter((r) => team.role === 'owner' || r !== 'owner');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const member = await add.run(team.name, email.trim(), role);
    if (!member) return;
    onAdded(member);
    setEmail('');
  };

  return (
    <form className="card form" onSubmit={submit} noValidate aria-labelledby="add-member-title">
      <h2 id="add-member-title">Add a member</h2>
      <p className="hint">They need a Berth account first: ask them to sign up, then add them by the email they used.</p>
      <div className="row">
        <Field label="Email" error={add.error?.fields.email}>
          {(props) => <input {...props} type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="off" placeholder="grace@example.com" />}
        </Field>
        <Field label="Role" error={add.error?.fields.role} hint={ROLE_HELP[role]}>
          {(props) => (
            <select {...props} value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {roles.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <ErrorNotice error={formMessage(add.error, ['email', 'role'])} />
      <button type="submit" className="button" disabled={add.busy || !email.trim()}>
        Add member
      </button>
    </form>
  );
}
