import { Role } from '@berth/db';

/** Team roles from most to least powerful. */
export const ROLE_RANK: Record<Role, number> = { owner: 4, admin: 3, member: 2, viewer: 1 };
export const ROLE_NAMES = Object.keys(ROLE_RANK) as Role[];

export const hasRole = (actual: Role, needed: Role) => ROLE_RANK[actual] >= ROLE_RANK[needed];

/** What each role may do, in words used by error messages. */
export const ROLE_NEEDED_FOR = {
  read: 'viewer',
  deploy: 'member',
  manage: 'admin',
} as const satisfies Record<string, Role>;
