import { Prisma } from '@berth/db';
import { InstanceKey } from '@berth/metrics';
import { InstanceRef } from '../log-shipper';

/** What a round reads of this host's instance rows. */
export const WANTED = { release: { include: { image: true, formation: true, environment: { include: { app: true } } } } } as const;
export type WantedInstance = Prisma.InstanceGetPayload<{ include: typeof WANTED }>;

/** Who an instance is, for its log lines. */
export const refOf = (row: WantedInstance): InstanceRef => ({ environmentId: row.environmentId, processType: row.processType, name: `${row.processType}.${row.index}`, release: row.release.version });
/** Who an instance is, for its minute metrics. */
export const metricsKeyOf = (row: WantedInstance): InstanceKey => ({ environmentId: row.environmentId, instance: `${row.processType}.${row.index}`, memoryLimitMb: row.memoryMb });
