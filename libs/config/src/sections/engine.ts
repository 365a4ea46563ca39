import { z } from 'zod';
import { env } from '../env';

export const engineEnv = z.object({
  /** Docker Engine API socket: Podman's (`podman system service`) here, Docker's elsewhere. */
  BERTH_ENGINE_SOCKET: env.string('/run/podman/podman.sock'),
});

export const mapEngine = (e: z.infer<typeof engineEnv>) => ({
  socketPath: e.BERTH_ENGINE_SOCKET,
});
