import { Prisma } from '@berth/db';
import { InstanceKey } from '@berth/metrics';
import { InstanceRef } from '../log-shipper';

/** What the actions on an instance read: its row, its release with image, formation, environment and app. */
export const WANTED = { release: { include: { image: true, formation: true, environment: { include: { app: true } } } } } as const;
export type WantedInstance = Prisma.InstanceGetPayload<{ include: typeof WANTED }>;

/**
 * What a round reads of every instance row of the host, in its snapshot: the row, and of its
 * release only what changes (its status, whether its environment sleeps). The rest of a release
 * never changes, and `WantedRows` keeps it between rounds.
 */
export const FACTS = { release: { select: { status: true, environment: { select: { sleepingSince: true } } } } } as const;
export type InstanceRow = Prisma.InstanceGetPayload<{ include: typeof FACTS }>;

/** Who an instance is, for its log lines. */
export const refOf = (row: WantedInstance): InstanceRef => ({ environmentId: row.environmentId, processType: row.processType, name: `${row.processType}.${row.index}`, release: row.release.version });
/** Who an instance is, for its minute metrics. */
export const metricsKeyOf = (row: WantedInstance): InstanceKey => ({ environmentId: row.environmentId, instance: `${row.processType}.${row.index}`, memoryLimitMb: row.memoryMb });
