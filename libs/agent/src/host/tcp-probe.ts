import { Injectable } from '@nestjs/common';
import { connect } from 'node:net';

/** Whether something accepts TCP connections at an address: the health check of web processes. */
@Injectable()
export class TcpProbe {
  check(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect({ host, port });
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(timeoutMs, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
  }
}
