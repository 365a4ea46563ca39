import { Injectable } from '@nestjs/common';
import { acceptsTcp } from '@berth/common';

/** Whether something accepts TCP connections at an address: the health check of web processes. */
@Injectable()
export class TcpProbe {
  check(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
    return acceptsTcp(host, port, timeoutMs);
  }
}
