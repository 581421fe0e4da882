import type { Request, Server } from 'restify';
import type { ApiDependencies } from './api-routes';
import type { StaffIdentity } from '../identity';

interface Dependencies extends ApiDependencies {
  staffOf: (req: Request) => Promise<StaffIdentity>;
}

/** The admin screens' API: staff and memberships, the services' settings, failed and delayed sends. */
export function registerAdminRoutes(_server: Server, _deps: Dependencies): void {
  // Filled in by the admin screens' work (issue 12 item 6).
}
