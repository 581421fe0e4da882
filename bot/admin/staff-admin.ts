import { In } from 'typeorm';
import type { Database } from '../../db/database';
import { looksLikeId, Role, ServiceMembership, StaffMember } from '../../db/entities';
import type { StaffIdentity } from '../identity';
import type { ServiceDirectory } from '../config/services';
import { checkStaffInput, isRole, ROLES, writeStaffMembership } from '../config/staff';
import { auditingRefusals, recordAudit } from '../audit/record';
import { conflict, invalid, notFound } from '../problems';
import { adminServices, requireAdminOf } from './access';

interface Dependencies {
  db: Database;
  directory: ServiceDirectory;
  now: () => number;
}

export interface StaffView {
  id: string;
  name: string;
  email: string;
  /** Only the memberships of services the reader administers. */
  memberships: { id: string; serviceSlug: string; serviceName: string; role: Role; since: string }[];
}

/**
 * The staff list as an admin keeps it: people and their memberships in the services where the
 * admin is an admin, with the CLI's rules for adding someone (bot/config/staff.ts). No service is
 * ever left without an admin. Every read and change is audited (ids and roles, never an email).
 */
export class StaffAdministration {
  constructor(private readonly deps: Dependencies) {}

  async list(staff: StaffIdentity): Promise<{ services: { slug: string; name: string }[]; roles: readonly Role[]; staff: StaffView[] }> {
    return auditingRefusals(this.deps, staff, { action: 'staff.list', subjectType: 'service' }, async () => {
      const services = adminServices(staff, this.deps.directory, 'see the staff list');
      return this.deps.db.transaction(async (tx) => {
        const memberships = await tx.find(ServiceMembership, { where: { serviceSlug: In(services) } });
        const people = memberships.length ? await tx.findBy(StaffMember, { id: In([...new Set(memberships.map((m) => m.staffId))]) }) : [];
        await recordAudit(tx, this.deps.now(), {
          actorType: 'staff', actorId: staff.id, action: 'staff.list', subjectType: 'service', services, detail: { count: people.length },
        });
        const order = new Map(services.map((slug, i) => [slug, i]));
        return {
          services: services.map((slug) => ({ slug, name: this.deps.directory.bySlugOrUndefined(slug)!.name })),
          roles: ROLES,
          staff: people
            .map((p) => ({
              id: p.id, name: p.name, email: p.email,
              memberships: memberships.filter((m) => m.staffId === p.id)
                .sort((a, b) => order.get(a.serviceSlug)! - order.get(b.serviceSlug)!)
                .map((m) => ({ id: m.id, serviceSlug: m.serviceSlug, serviceName: this.deps.directory.bySlugOrUndefined(m.serviceSlug)!.name, role: m.role, since: new Date(m.createdAt).toISOString() })),
            }))
            .sort((a, b) => a.name.localeCompare(b.name, 'en-GB') || a.email.localeCompare(b.email)),
        };
      });
    });
  }

  /**
   * Adds a person, or a membership for someone already on the staff list (found by email; they keep
   * their name). A membership that already exists is a conflict here: its role is changed with
   * changeRole, where the last-admin rule is kept.
   */
  async add(staff: StaffIdentity, body: unknown): Promise<{ staffId: string; membershipId: string; created: boolean }> {
    return auditingRefusals(this.deps, staff, { action: 'staff.add', subjectType: 'staff' }, async () => {
      adminServices(staff, this.deps.directory, 'add staff');
      const input = checkStaffInput(body, this.deps.directory);
      requireAdminOf(staff, this.deps.directory, input.service, 'add staff');
      return this.deps.db.transactionRetryingConflicts(async (tx) => {
        const existing = await tx.findOneBy(StaffMember, { email: input.email });
        if (existing && await tx.existsBy(ServiceMembership, { staffId: existing.id, serviceSlug: input.service })) {
          throw conflict('already_member', 'that person is already a member of this service: change their role instead');
        }
        const { staffId, membershipId, created } = await writeStaffMembership(tx, input, this.deps.now(), { type: 'staff', staffId: staff.id });
        return { staffId, membershipId, created };
      });
    });
  }

  /** A membership's new role. Demoting the service's last admin is refused. */
  async changeRole(staff: StaffIdentity, membershipId: string, body: unknown): Promise<{ id: string; role: Role; previousRole: Role }> {
    const role = (body as Record<string, unknown> | null)?.role;
    return this.change(staff, membershipId, 'staff.role_change', async (tx, membership) => {
      if (!isRole(role)) throw invalid(`the body must be JSON with "role": one of ${ROLES.join(', ')}`);
      if (membership.role === role) return { view: { id: membership.id, role, previousRole: membership.role }, detail: { role, previousRole: membership.role, unchanged: true } as Record<string, string | boolean> };
      if (membership.role === 'admin') await this.keepAnAdmin(tx, membership, 'change the role of');
      await tx.update(ServiceMembership, { id: membership.id }, { role });
      return { view: { id: membership.id, role, previousRole: membership.role }, detail: { role, previousRole: membership.role } as Record<string, string | boolean> };
    });
  }

  /** Ends a membership (the person stays on the staff list, with any others). Removing the service's last admin is refused. */
  async remove(staff: StaffIdentity, membershipId: string): Promise<{ id: string; removed: true }> {
    return this.change(staff, membershipId, 'staff.remove', async (tx, membership) => {
      if (membership.role === 'admin') await this.keepAnAdmin(tx, membership, 'remove');
      await tx.delete(ServiceMembership, { id: membership.id });
      return { view: { id: membership.id, removed: true as const }, detail: { previousRole: membership.role } };
    });
  }

  private async change<T>(
    staff: StaffIdentity, membershipId: string, action: string,
    work: (tx: import('typeorm').EntityManager, membership: ServiceMembership) => Promise<{ view: T; detail: Record<string, string | number | boolean | null> }>,
  ): Promise<T> {
    return auditingRefusals(this.deps, staff, { action, subjectType: 'membership', subjectId: membershipId }, async () => {
      adminServices(staff, this.deps.directory, 'change staff memberships');
      if (!looksLikeId(membershipId)) throw notFound('membership not found');
      return this.deps.db.transactionRetryingConflicts(async (tx) => {
        const membership = await tx.findOneBy(ServiceMembership, { id: membershipId });
        // Another service's membership is "not found": its existence is not the caller's to know.
        if (!membership || !adminServices(staff, this.deps.directory, 'change staff memberships').includes(membership.serviceSlug)) {
          throw notFound('membership not found', membership ? [membership.serviceSlug] : []);
        }
        const { view, detail } = await work(tx, membership);
        await recordAudit(tx, this.deps.now(), {
          actorType: 'staff', actorId: staff.id, action, subjectType: 'staff', subjectId: membership.staffId, services: [membership.serviceSlug],
          detail: { membershipId: membership.id, ...detail },
        });
        return view;
      });
    });
  }

  /**
   * Refuses to take away the service's last admin. The service's admin memberships are locked first
   * (on databases with row locks; SQLite runs one writer at a time), so two admins demoting each
   * other at once cannot both succeed.
   */
  private async keepAnAdmin(tx: import('typeorm').EntityManager, membership: ServiceMembership, what: string): Promise<void> {
    const q = tx.createQueryBuilder(ServiceMembership, 'm').where('m.serviceSlug = :slug AND m.role = :admin', { slug: membership.serviceSlug, admin: 'admin' });
    if (this.deps.db.dialect !== 'sqlite') q.setLock('pessimistic_write');
    const admins = await q.getMany();
    if (admins.filter((m) => m.id !== membership.id).length === 0) {
      throw conflict('last_admin', `you cannot ${what} the last admin of ${this.deps.directory.bySlugOrUndefined(membership.serviceSlug)?.name ?? 'this service'}: make someone else an admin first`);
    }
  }
}
