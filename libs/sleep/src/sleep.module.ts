import { Module } from '@nestjs/common';
import { LogStoreModule } from '@berth/logs';
import { Notifier } from '@berth/contracts';
import { Sleeper } from './sleeper.service';
import { Waker } from './waker.service';

/** Puts idle environments to sleep (the scheduler role loads it). */
@Module({ imports: [LogStoreModule], providers: [Sleeper, Notifier] })
export class SleeperModule {}

/** Wakes sleeping environments on a request (the router role loads it). */
@Module({ imports: [LogStoreModule], providers: [Waker, Notifier], exports: [Waker] })
export class WakeModule {}
