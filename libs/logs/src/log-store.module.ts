import { Module } from '@nestjs/common';
import { LogStore } from './log-store';
import { LogWriter } from './log-writer';

/** Writing runtime log lines (agents, releases): the store and a batching writer. */
@Module({ providers: [LogStore, LogWriter], exports: [LogStore, LogWriter] })
export class LogStoreModule {}
