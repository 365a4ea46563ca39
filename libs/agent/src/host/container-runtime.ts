import { Injectable } from '@nestjs/common';
import type { ContainerCreateOptions } from 'dockerode';
import { Writable } from 'node:stream';
import { ContainerEngine } from '@berth/engine';
import { CONTAINER_PORT, LABELS } from '../container-spec';

export interface ContainerSummary {
  id: string;
  instanceId: string | undefined;
  running: boolean;
  labels: Record<string, string>;
}

export interface ContainerDetails {
  id: string;
  running: boolean;
  pid: number;
  exitCode: number;
  hostPort: number | null;
  startedAt: Date | null;
}

const isNotFound = (error: unknown) => (error as { statusCode?: number }).statusCode === 404;

/** The agent's view of the container engine (Docker Engine API on Podman): Berth's containers of one host. */
@Injectable()
export class ContainerRuntime {
  private readonly users = new Map<string, string>();

  constructor(private readonly engine: ContainerEngine) {}

  async list(hostName: string): Promise<ContainerSummary[]> {
    const containers = await this.engine.api.listContainers({ all: true, filters: { label: [`${LABELS.host}=${hostName}`] } });
    return containers.map((c) => ({ id: c.Id, instanceId: c.Labels?.[LABELS.instance], running: c.State === 'running', labels: c.Labels ?? {} }));
  }

  /** Creates and starts a container; removes it again if it cannot start. */
  async run(spec: ContainerCreateOptions): Promise<ContainerDetails> {
    const container = await this.engine.api.createContainer(spec);
    try {
      await container.start();
    } catch (error) {
      await container.remove({ force: true }).catch(() => undefined);
      throw error;
    }
    return (await this.inspect(container.id))!;
  }

  async inspect(id: string): Promise<ContainerDetails | null> {
    try {
      const info = await this.engine.api.getContainer(id).inspect();
      const binding = info.NetworkSettings?.Ports?.[`${CONTAINER_PORT}/tcp`]?.[0];
      return {
        id: info.Id,
        running: info.State.Running,
        pid: info.State.Pid,
        exitCode: info.State.ExitCode,
        hostPort: binding?.HostPort ? Number(binding.HostPort) : null,
        startedAt: info.State.StartedAt ? new Date(info.State.StartedAt) : null,
      };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Stops (SIGTERM, then SIGKILL after `timeoutSeconds`) and removes; a container already gone is fine. */
  async remove(id: string, timeoutSeconds: number): Promise<void> {
    const container = this.engine.api.getContainer(id);
    try {
      await container.stop({ t: timeoutSeconds });
    } catch (error) {
      if (isNotFound(error)) return;
      // 304: already stopped; anything else: remove by force below.
    }
    try {
      await container.remove({ force: true });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /**
   * Follows a container's output from its start until it exits: stdout and stderr, in order,
   * to `write`. Resolves with the exit code.
   */
  async follow(id: string, write: (chunk: Buffer) => void): Promise<number> {
    const container = this.engine.api.getContainer(id);
    const stream = (await container.logs({ follow: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        write(chunk);
        done();
      },
    });
    this.engine.api.modem.demuxStream(stream, sink, sink);
    await new Promise<void>((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    return StatusCode;
  }

  async kill(id: string): Promise<void> {
    await this.engine.api
      .getContainer(id)
      .kill()
      .catch(() => undefined);
  }

  /** The user an image runs as (Config.User), cached: images never change. */
  async imageUser(image: string): Promise<string> {
    let user = this.users.get(image);
    if (user === undefined) {
      const info = await this.engine.api.getImage(image).inspect();
      user = info.Config?.User ?? '';
      this.users.set(image, user);
    }
    return user;
  }
}
