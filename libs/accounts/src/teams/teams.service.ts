import { Injectable } from '@nestjs/common';
import { conflict, forbidden, invalidInput, notFound, teamNameProblem } from '@berth/common';
import { Membership, Prisma, PrismaService, Role, Team } from '@berth/db';
import { hasRole } from '../roles';

const teamNotFound = (name: string) =>
  notFound('team_not_found', `You are not a member of a team named "${name}". List your teams with GET /api/teams.`);

/** Teams and who belongs to them. Every query is scoped to teams the caller belongs to. */
@Injectable()
export class TeamsService {
  constructor(private readonly db: PrismaService) {}

  /** A personal team for a new user, named after them, made unique with a suffix. */
  async createPersonalTeam(tx: Prisma.TransactionClient, userId: string, base: string): Promise<Team> {
    let stem = base.replace(/--+/g, '-').slice(0, 36).replace(/-+$/, '');
    if (!/^[a-z]/.test(stem)) stem = `u-${stem}`;
    if (stem.length < 3) stem = `${stem}-team`;
    for (let n = 1; ; n++) {
      const name = n === 1 ? stem : `${stem}-${n}`;
      if (await tx.team.findUnique({ where: { name } })) continue;
      return tx.team.create({ data: { name, personal: true, memberships: { create: { userId, role: 'owner' } } } });
    }
  }

  list(userId: string) {
    return this.db.membership
      .findMany({ where: { userId }, include: { team: true }, orderBy: { team: { name: 'asc' } } })
      .then((rows) => rows.map((m) => ({ id: m.team.id, name: m.team.name, personal: m.team.personal, role: m.role, createdAt: m.team.createdAt })));
  }

  async create(userId: string, name: string) {
    const problem = teamNameProblem(name);
    if (problem) throw invalidInput({ name: problem });
    try {
      const team = await this.db.team.create({ data: { name, memberships: { create: { userId, role: 'owner' } } } });
      return { id: team.id, name: team.name, personal: false, role: 'owner' as Role, createdAt: team.createdAt };
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw conflict('team_name_taken', `A team named "${name}" already exists; choose another name.`);
      }
      throw error;
    }
  }

  /** The caller's membership of a team by name; 404 when they are not in it, 403 when their role is too low. */
  async membership(userId: string, teamName: string, needed: Role = 'viewer'): Promise<Membership & { team: Team }> {
    const membership = await this.db.membership.findFirst({ where: { userId, team: { name: teamName } }, include: { team: true } });
    if (!membership) throw teamNotFound(teamName);
    if (!hasRole(membership.role, needed)) {
      throw forbidden('role_too_low', `This needs the ${needed} role on team "${teamName}"; you are ${membership.role}. Ask a team owner or admin.`);
    }
    return membership;
  }

  async get(userId: string, teamName: string) {
    const { team, role } = await this.membership(userId, teamName);
    const members = await this.db.membership.findMany({
      where: { teamId: team.id },
      include: { user: { select: { id: true, email: true } } },
      orderBy: { createdAt: 'asc' },
    });
    return {
      id: team.id,
      name: team.name,
      personal: team.personal,
      role,
      members: members.map((m) => ({ userId: m.user.id, email: m.user.email, role: m.role, since: m.createdAt })),
    };
  }

  async addMember(actorId: string, teamName: string, email: string, role: Role) {
    const user = await this.db.user.findUnique({ where: { email: email.trim().toLowerCase() } });
    return this.withTeamLocked(actorId, teamName, 'admin', async (tx, actor) => {
      if (role === 'owner' && actor.role !== 'owner') throw forbidden('role_too_low', 'Only an owner can add another owner.');
      if (!user) throw notFound('user_not_found', `No Berth user has the email ${email}. Ask them to sign up first, then add them.`);
      if (await tx.membership.findUnique({ where: { teamId_userId: { teamId: actor.teamId, userId: user.id } } })) {
        throw conflict('already_member', `${user.email} is already a member of "${teamName}". Change their role with PATCH instead.`);
      }
      const m = await tx.membership.create({ data: { teamId: actor.teamId, userId: user.id, role } });
      return { userId: user.id, email: user.email, role: m.role, since: m.createdAt };
    });
  }

  private async findMember(tx: Prisma.TransactionClient, teamId: string, teamName: string, member: string) {
    const where = /^[0-9a-f-]{36}$/i.test(member) ? { teamId, userId: member } : { teamId, user: { email: member.toLowerCase() } };
    const target = await tx.membership.findFirst({ where, include: { user: { select: { id: true, email: true } } } });
    if (!target) throw notFound('member_not_found', `"${member}" is not a member of "${teamName}".`);
    return target;
  }

  /**
   * Runs a change of a team's members with the team row locked, and with the actor's role read
   * again under that lock: two owners demoting or removing each other at once take turns, and
   * the second sees the first's change (it is no longer an owner, or the last one is left).
   */
  private async withTeamLocked<T>(actorId: string, teamName: string, needed: Role, change: (tx: Prisma.TransactionClient, actor: Membership) => Promise<T>): Promise<T> {
    const { teamId } = await this.membership(actorId, teamName, needed);
    return this.db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM "Team" WHERE id = ${teamId}::uuid FOR UPDATE`;
      const actor = await tx.membership.findUnique({ where: { teamId_userId: { teamId, userId: actorId } } });
      if (!actor) throw teamNotFound(teamName);
      if (!hasRole(actor.role, needed)) {
        throw forbidden('role_too_low', `This needs the ${needed} role on team "${teamName}"; you are ${actor.role}. Ask a team owner or admin.`);
      }
      return change(tx, actor);
    });
  }

  /** Owners are the last line of control: only owners touch owners, and a team keeps at least one. */
  private async guardOwnerChange(tx: Prisma.TransactionClient, actorRole: Role, target: Membership, newRole: Role | null) {
    const touchesOwner = target.role === 'owner' || newRole === 'owner';
    if (touchesOwner && actorRole !== 'owner') throw forbidden('role_too_low', 'Only an owner can change or remove an owner.');
    if (target.role === 'owner' && newRole !== 'owner') {
      const owners = await tx.membership.count({ where: { teamId: target.teamId, role: 'owner' } });
      if (owners <= 1) throw conflict('last_owner', 'A team needs at least one owner. Make someone else an owner first.');
    }
  }

  async changeRole(actorId: string, teamName: string, member: string, role: Role) {
    return this.withTeamLocked(actorId, teamName, 'admin', async (tx, actor) => {
      const target = await this.findMember(tx, actor.teamId, teamName, member);
      await this.guardOwnerChange(tx, actor.role, target, role);
      const updated = await tx.membership.update({ where: { id: target.id }, data: { role } });
      return { userId: target.user.id, email: target.user.email, role: updated.role, since: updated.createdAt };
    });
  }

  async removeMember(actorId: string, teamName: string, member: string) {
    await this.withTeamLocked(actorId, teamName, 'viewer', async (tx, actor) => {
      const target = await this.findMember(tx, actor.teamId, teamName, member);
      const leavingSelf = target.userId === actorId;
      if (!leavingSelf && !hasRole(actor.role, 'admin')) {
        throw forbidden('role_too_low', `Removing members needs the admin role on "${teamName}"; you are ${actor.role}.`);
      }
      await this.guardOwnerChange(tx, leavingSelf ? 'owner' : actor.role, target, null);
      await tx.membership.delete({ where: { id: target.id } });
    });
  }
}
