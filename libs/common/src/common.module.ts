import { Global, Module } from '@nestjs/common';
import { Clock } from './clock';
import { SecretBox } from './secret-box.service';

@Global()
@Module({ providers: [Clock, SecretBox], exports: [Clock, SecretBox] })
export class CommonModule {}
