// What the Logs page reads from a line beyond its text.
import type { LogLine } from './api';

/** Berth's line about an instance that stopped against its will ("web.1 crashed: exited with code 1 …"). */
export const isCrashLine = (line: Pick<LogLine, 'source' | 'text'>) =>
  line.source === 'berth' && /^\S+ (crashed|failed|could not start)\b|ran out of memory|was killed/.test(line.text);
