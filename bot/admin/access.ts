import type { StaffIdentity } from '../identity';
import type { ServiceDirectory } from '../config/services';
import { forbidden } from '../problems';

/**
 * The services a member of staff administers (admin there, and the config still has the service).
 * An admin screen is for admins only: anyone else is refused, with a sentence saying so.
 */
export function adminServices(staff: StaffIdentity, directory: ServiceDirectory, what: string): string[] {
  // In the config's order, whatever order the memberships were made in.
  const mine = directory.services.map((s) => s.slug).filter((slug) => staff.memberships.some((m) => m.serviceSlug === slug && m.role === 'admin'));
  if (mine.length === 0) throw forbidden(`only an admin of a service can ${what}`, staff.memberships.map((m) => m.serviceSlug));
  return mine;
}

/** The service, when the caller is an admin of it; else refused (and the refusal audited for that service's admins). */
export function requireAdminOf(staff: StaffIdentity, directory: ServiceDirectory, serviceSlug: string, what: string): void {
  const mine = adminServices(staff, directory, what);
  if (!mine.includes(serviceSlug)) throw forbidden(`you are not an admin of that service, so you cannot ${what} there`, [serviceSlug]);
}
