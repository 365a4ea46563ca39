import { Command } from 'commander';
import { client, confirm, optionsOf } from '../context';
import { json, line, megabytes, table, when } from '../output';
import { withJson } from './common';

interface Host {
  name: string;
  state: string;
  cordoned: boolean;
  capacity: { memoryMb: number; cpu: number };
  booked: { memoryMb: number; cpu: number };
  memoryUsageBytes: number;
  instances: number;
  lastHeartbeatAt: string | null;
}

export function register(program: Command): void {
  withJson(program.command('hosts').description('hosts, their capacity and what is booked on them (operators)')).action(async (_: unknown, command: Command) => {
    const options = optionsOf(command);
    const hosts = await client(options).get<Host[]>('/api/hosts');
    if (options.json) return json(hosts);
    table(
      ['Host', 'State', 'Cordoned', 'Instances', 'Memory booked', 'CPU booked', 'Memory used', 'Heartbeat'],
      hosts.map((h) => [h.name, h.state, h.cordoned ? 'yes' : '', h.instances, `${h.booked.memoryMb} / ${h.capacity.memoryMb} MB`, `${h.booked.cpu} / ${h.capacity.cpu}`, megabytes(h.memoryUsageBytes), when(h.lastHeartbeatAt)]),
      'No hosts: start an agent.',
    );
  });

  const verb = (name: string, description: string, said: string, destructive = false) => {
    const command = withJson(program.command(`hosts:${name}`).description(description).argument('<host>', 'the host name (see berth hosts)'));
    if (destructive) command.option('--confirm <host>', "the host's name, to go ahead without a question");
    command.action(async (host: string, _: unknown, cmd: Command) => {
      const options = optionsOf(cmd);
      if (destructive) await confirm(host, options.confirm, `moves every instance off ${host}; it`);
      const result = await client(options).post<Host>(`/api/hosts/${encodeURIComponent(host)}/${name}`);
      if (options.json) return json(result);
      line(`${host} ${said}.`);
    });
  };
  verb('cordon', 'stop placing new instances on a host (running ones stay)', 'is cordoned: nothing new is placed there');
  verb('uncordon', 'place instances on a host again (ends a drain)', 'takes new instances again');
  verb('drain', 'cordon a host and move its instances to other hosts', 'is draining: its instances move to other hosts', true);
}
