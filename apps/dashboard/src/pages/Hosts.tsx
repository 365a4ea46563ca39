// The hosts every team's instances run on, for the operators of this Berth (BERTH_OPERATOR_EMAILS):
// capacity, what is booked, heartbeats; cordon, uncordon and drain.
import { useState } from 'react';
import { Link } from 'react-router';
import { api, type Host } from '../api';
import { useMe } from '../auth';
import { ago, bytes, when } from '../format';
import { useAction, useResource, useTitle } from '../hooks';
import { DataTable, Empty, ErrorNotice, ListOf, Meter, Notice, StatusPill, useConfirm } from '../ui';

const POLL_MS = 5000;
type HostAction = 'cordon' | 'uncordon' | 'drain';

export function HostsPage() {
  useTitle('Hosts');
  const { me } = useMe();
  const hosts = useResource(me.operator ? 'hosts' : null, (signal) => api.hosts(signal), { pollMs: POLL_MS });
  const [dialog, confirm] = useConfirm();
  const [notice, setNotice] = useState<string>();
  const act = useAction((host: Host, action: HostAction) => api.hostAction(host.name, action));

  if (!me.operator) {
    return (
      <>
        <h1>Hosts</h1>
        <Notice kind="warning">
          <p>
            Hosts are shared by every team and managed by the operators of this Berth installation. Ask one of them; your apps are under{' '}
            <Link to="/apps">Apps</Link>.
          </p>
        </Notice>
      </>
    );
  }

  const run = async (host: Host, action: HostAction) => {
    setNotice(undefined);
    if (action === 'drain') {
      const ok = await confirm({
        title: `Drain ${host.name}?`,
        body: (
          <>
            <p>
              No new instances go to {host.name}, and its {host.instances} instance{host.instances === 1 ? '' : 's'} move to other hosts. Each one stops here
              while it starts there, so a process type with a single instance has a short gap.
            </p>
            <p>Uncordon the host to end the drain.</p>
          </>
        ),
        confirm: `Drain ${host.name}`,
        danger: true,
      });
      if (!ok) return;
    }
    const updated = await act.run(host, action);
    if (updated) {
      setNotice(
        action === 'cordon'
          ? `${host.name} is cordoned: its instances keep running, new ones go elsewhere.`
          : action === 'uncordon'
            ? `${host.name} takes new instances again.`
            : `${host.name} is draining: its instances are moving to other hosts.`,
      );
      hosts.reload();
    }
  };

  return (
    <>
      {dialog}
      <div className="page-head">
        <h1>Hosts</h1>
      </div>
      <p className="lead">
        Every host runs an agent that reports here. Booked is what the instances placed on a host may use (their limits); in use is what they use now.
      </p>
      {notice && (
        <Notice kind="success">
          <p>{notice}</p>
        </Notice>
      )}
      <ErrorNotice error={act.error} />
      <ListOf
        resource={hosts}
        loading="Loading hosts"
        empty={
          <Empty title="No hosts yet">
            <p>
              A host appears when its agent starts: run Berth with the agent role on it (<code>BERTH_ROLES=agent npm start</code>, or <code>npm start</code>, which runs
              every role), pointed at this installation's PostgreSQL and Redis.
            </p>
          </Empty>
        }
      >
        {(items) => (
          <DataTable className="hosts" columns={['Host', 'State', 'Memory', 'CPU', 'Processes', 'Instances', 'Heartbeat', '']}>
            {items.map((host) => (
              <tr key={host.id} data-host={host.name}>
                <td data-label="Host">
                  <strong>{host.name}</strong>
                  <div className="meta">{host.address}</div>
                </td>
                <td data-label="State">
                  <StatusPill status={host.state} />
                  {host.cordoned && host.state !== 'draining' && <StatusPill status="cordoned" />}
                </td>
                <td data-label="Memory">
                  {host.booked.memoryMb} of {host.allocatable.memoryMb} MB booked
                  <Meter used={host.booked.memoryMb} limit={host.allocatable.memoryMb} label={`Memory booked on ${host.name}`} />
                  <div className="meta">{bytes(host.memoryUsageBytes)} in use</div>
                </td>
                <td data-label="CPU">
                  {round(host.booked.cpu)} of {round(host.allocatable.cpu)} booked
                  <Meter used={host.booked.cpu} limit={host.allocatable.cpu} label={`CPU booked on ${host.name}`} />
                </td>
                <td data-label="Processes">
                  {host.booked.pidsLimit} of {host.allocatable.pidsLimit}
                  {host.allocatable.pidsLimit !== host.capacity.pidsLimit && <div className="meta">{host.capacity.pidsLimit} on the host; limits are ceilings</div>}
                </td>
                <td data-label="Instances">{host.instances}</td>
                <td data-label="Heartbeat" title={when(host.lastHeartbeatAt)}>
                  {ago(host.lastHeartbeatAt)}
                </td>
                <td data-label="">
                  <span className="row-buttons">
                    {host.cordoned ? (
                      <button type="button" className="button small secondary" onClick={() => run(host, 'uncordon')} disabled={act.busy}>
                        Uncordon
                      </button>
                    ) : (
                      <button type="button" className="button small secondary" onClick={() => run(host, 'cordon')} disabled={act.busy}>
                        Cordon
                      </button>
                    )}
                    {host.state !== 'draining' && host.state !== 'down' && (
                      <button type="button" className="button small danger" onClick={() => run(host, 'drain')} disabled={act.busy}>
                        Drain
                      </button>
                    )}
                  </span>
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListOf>
    </>
  );
}

const round = (cores: number) => `${Math.round(cores * 100) / 100} CPU`;
