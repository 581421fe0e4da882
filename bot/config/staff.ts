import { randomUUID } from 'node:crypto';
import { Database } from '../../db/database';
import { Role, ServiceMembership, StaffMember } from '../../db/entities';
import { recordAudit } from '../audit/record';
import type { ServiceDirectory } from './services';

export const ROLES: readonly Role[] = ['clinician', 'duty-lead', 'admin'];

export interface StaffInput {
  email: string;
  name: string;
  role: string;
  service: string;
}

/** Adds a person (or, for an existing email, another service membership). Idempotent. */
export async function addStaff(db: Database, directory: ServiceDirectory, input: StaffInput, now = Date.now()): Promise<{ staffId: string; created: boolean }> {
  const email = input.email.trim().toLowerCase();
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) throw new Error(`"${input.email}" is not an email address`);
  if (!input.name.trim()) throw new Error('a name is required');
  if (!(ROLES as readonly string[]).includes(input.role)) throw new Error(`role must be one of ${ROLES.join(', ')}`);
  if (!directory.bySlugOrUndefined(input.service)) throw new Error(`no service "${input.service}" in the config (known: ${directory.services.map((s) => s.slug).join(', ')})`);
  return db.transactionRetryingConflicts(async (tx) => {
    let staff = await tx.findOneBy(StaffMember, { email });
    const created = !staff;
    if (!staff) {
      staff = { id: randomUUID(), email, name: input.name.trim(), oid: null, createdAt: now };
      await tx.insert(StaffMember, staff);
    }
    const membership = await tx.findOneBy(ServiceMembership, { staffId: staff.id, serviceSlug: input.service });
    if (membership) await tx.update(ServiceMembership, { id: membership.id }, { role: input.role as Role });
    else await tx.insert(ServiceMembership, { id: randomUUID(), staffId: staff.id, serviceSlug: input.service, role: input.role as Role, createdAt: now });
    await recordAudit(tx, now, { actorType: 'operator', action: 'staff.add', subjectType: 'staff', subjectId: staff.id, services: [input.service], detail: { role: input.role } });
    return { staffId: staff.id, created };
  });
}

export const DEMO_STAFF: StaffInput[] = [
  { email: 'sam.patel@lamplight.example', name: 'Sam Patel', role: 'clinician', service: 'school-nursing' },
  { email: 'jo.evans@lamplight.example', name: 'Jo Evans', role: 'clinician', service: 'health-visiting' },
  { email: 'chris.lee@lamplight.example', name: 'Chris Lee', role: 'clinician', service: 'sexual-health' },
  { email: 'alex.morgan@lamplight.example', name: 'Alex Morgan', role: 'duty-lead', service: 'school-nursing' },
  { email: 'alex.morgan@lamplight.example', name: 'Alex Morgan', role: 'duty-lead', service: 'health-visiting' },
  { email: 'alex.morgan@lamplight.example', name: 'Alex Morgan', role: 'duty-lead', service: 'sexual-health' },
  { email: 'admin@lamplight.example', name: 'Dev Admin', role: 'admin', service: 'school-nursing' },
  { email: 'admin@lamplight.example', name: 'Dev Admin', role: 'admin', service: 'health-visiting' },
  { email: 'admin@lamplight.example', name: 'Dev Admin', role: 'admin', service: 'sexual-health' },
];

/** Demo staff for the embedded default, only into an empty staff table and only for services the config has. */
export async function seedDemoStaff(db: Database, directory: ServiceDirectory): Promise<number> {
  if ((await db.manager.count(StaffMember)) > 0) return 0;
  let added = 0;
  for (const person of DEMO_STAFF) {
    if (!directory.bySlugOrUndefined(person.service)) continue;
    await addStaff(db, directory, person);
    added++;
  }
  return added;
}
