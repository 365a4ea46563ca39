import { Injectable } from '@nestjs/common';
import { BerthConfig } from '@berth/config';
import { decryptSecret, encryptSecret } from './crypto';

/** Encrypts values at rest (config vars, release config snapshots) with BERTH_SECRET_KEY. */
@Injectable()
export class SecretBox {
  constructor(private readonly config: BerthConfig) {}

  seal(plaintext: string): string {
    return encryptSecret(this.config.secretKey, plaintext);
  }

  open(sealed: string): string {
    return decryptSecret(this.config.secretKey, sealed);
  }

  sealJson(value: unknown): string {
    return this.seal(JSON.stringify(value));
  }

  openJson<T>(sealed: string): T {
    return JSON.parse(this.open(sealed)) as T;
  }
}
