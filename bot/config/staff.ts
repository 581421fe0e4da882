import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Database } from '../../db/database';
import { Role, ServiceMembership, StaffMember } from '../../db/entities';
import { recordAudit } from '../audit/record';
import type { Keyring } from '../../db/crypto';
import { sealWorkMobile } from '../../db/sealed-fields';
import { invalid } from '../problems';
import type { ServiceDirectory } from './services';

export const ROLES: readonly Role[] = ['clinician', 'duty-lead', 'admin'];

export interface StaffInput {
  email: string;
  name: string;
  role: string;
  service: string;
}

/** The longest name and email the staff table keeps (db/entities.ts). */
const NAME_MAX = 200;
const EMAIL_MAX = 320;

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/**
 * The rules for a person and a membership, the same for the operator's CLI and an admin in the tab:
 * an email address (kept lower-cased), a name, a known role, a service the config has. Throws an
 * `invalid` problem (the CLI prints its message; the API answers 400 with it).
 */
export function checkStaffInput(raw: unknown, directory: ServiceDirectory): StaffInput & { role: Role } {
  const body = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  for (const field of ['email', 'name', 'role', 'service'] as const) {
    if (typeof body[field] !== 'string') throw invalid(`"${field}" is required (a string)`);
  }
  const input = body as unknown as StaffInput;
  const email = input.email.trim().toLowerCase();
  const name = input.name.trim();
  // The email is not repeated back: a refused value is the caller's text.
  if (email.length > EMAIL_MAX || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) throw invalid('email must be an email address');
  if (!name) throw invalid('a name is required');
  if (name.length > NAME_MAX) throw invalid(`the name is longer than ${NAME_MAX} characters`);
  if (!isRole(input.role)) throw invalid(`role must be one of ${ROLES.join(', ')}`);
  if (!directory.bySlugOrUndefined(input.service)) throw invalid(`no service "${input.service.slice(0, 64)}" in the config (known: ${directory.services.map((s) => s.slug).join(', ')})`);
  return { email, name, role: input.role, service: input.service };
}

/** Who made a change to the staff list: the operator at the CLI, or a signed-in admin. */
export type StaffChangeActor = { type: 'operator' } | { type: 'staff'; staffId: string };

/**
 * In a transaction: the person (created when the email is new; an existing person keeps their
 * name) and their membership of the service with this role (created, or its role changed), with the
 * audit event: ids and the role, never the email.
 */
export async function writeStaffMembership(tx: EntityManager, input: StaffInput & { role: Role }, now: number, actor: StaffChangeActor): Promise<{ staffId: string; membershipId: string; created: boolean; previousRole: Role | null }> {
  let staff = await tx.findOneBy(StaffMember, { email: input.email });
  const created = !staff;
  if (!staff) {
    staff = { id: randomUUID(), email: input.email, name: input.name, oid: null, createdAt: now, muteNonUrgent: false, workMobileCipher: null, workMobileKeyId: null };
    await tx.insert(StaffMember, staff);
  }
  const membership = await tx.findOneBy(ServiceMembership, { staffId: staff.id, serviceSlug: input.service });
  let membershipId = membership?.id;
  if (membership) await tx.update(ServiceMembership, { id: membership.id }, { role: input.role });
  else {
    membershipId = randomUUID();
    await tx.insert(ServiceMembership, { id: membershipId, staffId: staff.id, serviceSlug: input.service, role: input.role, createdAt: now });
  }
  await recordAudit(tx, now, {
    actorType: actor.type, actorId: actor.type === 'staff' ? actor.staffId : null, action: 'staff.add', subjectType: 'staff', subjectId: staff.id, services: [input.service],
    detail: { role: input.role, membershipId: membershipId!, createdPerson: created, ...(membership ? { previousRole: membership.role } : {}) },
  });
  return { staffId: staff.id, membershipId: membershipId!, created, previousRole: membership?.role ?? null };
}

/** Adds a person (or, for an existing email, another service membership). Idempotent. */
export async function addStaff(db: Database, directory: ServiceDirectory, input: StaffInput, now = Date.now()): Promise<{ staffId: string; created: boolean }> {
  const checked = checkStaffInput(input, directory);
  return db.transactionRetryingConflicts(async (tx) => {
    const { staffId, created } = await writeStaffMembership(tx, checked, now, { type: 'operator' });
    return { staffId, created };
  });
}
/** The demo duty lead's work mobile (a drama-range number): open it on the simulator's phone page to see their alerts. */
export const DEMO_DUTY_PHONE = '+447700900900';

export const DEMO_STAFF: (StaffInput & { workMobile?: string })[] = [
  { email: 'sam.patel@lamplight.example', name: 'Sam Patel', role: 'clinician', service: 'school-nursing' },
  { email: 'jo.evans@lamplight.example', name: 'Jo Evans', role: 'clinician', service: 'health-visiting' },
  { email: 'chris.lee@lamplight.example', name: 'Chris Lee', role: 'clinician', service: 'sexual-health' },
  { email: 'alex.morgan@lamplight.example', name: 'Alex Morgan', role: 'duty-lead', service: 'school-nursing', workMobile: DEMO_DUTY_PHONE },
  { email: 'alex.morgan@lamplight.example', name: 'Alex Morgan', role: 'duty-lead', service: 'health-visiting' },
  { email: 'alex.morgan@lamplight.example', name: 'Alex Morgan', role: 'duty-lead', service: 'sexual-health' },
  { email: 'admin@lamplight.example', name: 'Dev Admin', role: 'admin', service: 'school-nursing' },
  { email: 'admin@lamplight.example', name: 'Dev Admin', role: 'admin', service: 'health-visiting' },
  { email: 'admin@lamplight.example', name: 'Dev Admin', role: 'admin', service: 'sexual-health' },
];

/** Demo staff for the embedded default, only into an empty staff table and only for services the config has. */
export async function seedDemoStaff(db: Database, directory: ServiceDirectory, keyring: Keyring): Promise<number> {
  if ((await db.manager.count(StaffMember)) > 0) return 0;
  let added = 0;
  for (const person of DEMO_STAFF) {
    if (!directory.bySlugOrUndefined(person.service)) continue;
    const { staffId } = await addStaff(db, directory, person);
    // The demo duty lead's work mobile: the simulator's phone page at this number shows their escalation alerts.
    if (person.workMobile) await db.manager.update(StaffMember, { id: staffId }, sealWorkMobile(keyring, staffId, person.workMobile));
    added++;
  }
  return added;
}
