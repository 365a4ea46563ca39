import { Injectable } from '@nestjs/common';
import { environmentLabel } from '@berth/common';
import { BerthConfig } from '@berth/config';

/** The URLs users see: git remotes and each environment's address on the router. */
@Injectable()
export class Urls {
  constructor(private readonly config: BerthConfig) {}

  gitUrl(appName: string): string {
    return `${this.config.api.publicUrl}/git/${appName}.git`;
  }

  /** `<app>.<domain>` for production, `<env>--<app>.<domain>` for the rest. */
  hostname(appName: string, envName: string, production: boolean): string {
    return `${environmentLabel.format(appName, envName, production)}.${this.config.router.domain}`;
  }

  environmentUrl(appName: string, envName: string, production: boolean): string {
    const { publicScheme, publicPort } = this.config.router;
    const defaultPort = publicScheme === 'https' ? 443 : 80;
    const port = publicPort === defaultPort ? '' : `:${publicPort}`;
    return `${publicScheme}://${this.hostname(appName, envName, production)}${port}`;
  }
}
