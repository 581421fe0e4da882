import type { Role } from '../db/entities';

/** A signed-in member of staff, as every use case sees them (however they signed in). */
export interface StaffIdentity {
  id: string;
  email: string;
  name: string;
  memberships: { serviceSlug: string; role: Role }[];
}
