import type { Request, Server } from 'restify';
import type { ApiDependencies } from './api-routes';
import type { StaffIdentity } from '../identity';
import { jsonRoute } from './respond';
import { invalid } from '../problems';
import { StaffAdministration } from '../admin/staff-admin';
import { OutboxAdministration } from '../admin/outbox-admin';
import { ServiceSettings } from '../admin/service-settings';

interface Dependencies extends ApiDependencies {
  staffOf: (req: Request) => Promise<StaffIdentity>;
}

/**
 * The admin screens' API: staff and memberships, the services' settings, failed and delayed sends.
 * Every route is for admins (403 with a sentence otherwise) and covers only the services where the
 * caller is an admin; the rules live in bot/admin/, this only translates HTTP.
 */
export function registerAdminRoutes(server: Server, deps: Dependencies): void {
  const { staffOf, log } = deps;
  const staffAdmin = new StaffAdministration({ db: deps.db, directory: deps.directory, now: deps.now });
  const outbox = new OutboxAdministration({ db: deps.db, keyring: deps.keyring, directory: deps.directory, actions: deps.actions, now: deps.now });
  const settings = new ServiceSettings({ db: deps.db, directory: deps.directory, now: deps.now });
  const id = (req: Request) => String(req.params.id);
  const json = (req: Request) => {
    if (!req.is('json') || req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) throw invalid('send a JSON object (Content-Type: application/json)');
    return req.body as unknown;
  };

  server.get('/api/v1/admin/services', jsonRoute(log, async (req) => settings.read(await staffOf(req))));

  server.get('/api/v1/admin/outbox', jsonRoute(log, async (req) => outbox.list(await staffOf(req), (req.query ?? {}) as Record<string, unknown>)));
  server.post('/api/v1/admin/outbox/:id/retry', jsonRoute(log, async (req) => outbox.retry(await staffOf(req), id(req))));

  server.get('/api/v1/admin/staff', jsonRoute(log, async (req) => staffAdmin.list(await staffOf(req))));
  server.post('/api/v1/admin/staff', jsonRoute(log, async (req) => {
    const staff = await staffOf(req);
    const result = await staffAdmin.add(staff, json(req));
    return { status: 201, body: result };
  }));
  // A role change: PATCH for HTTP clients, POST for the tab (its API client posts).
  const changeRole = jsonRoute(log, async (req) => {
    const staff = await staffOf(req);
    return staffAdmin.changeRole(staff, id(req), json(req));
  });
  server.patch('/api/v1/admin/staff/memberships/:id', changeRole);
  server.post('/api/v1/admin/staff/memberships/:id', changeRole);
  // Removal: DELETE, or POST .../remove for the tab.
  const remove = jsonRoute(log, async (req) => staffAdmin.remove(await staffOf(req), id(req)));
  server.del('/api/v1/admin/staff/memberships/:id', remove);
  server.post('/api/v1/admin/staff/memberships/:id/remove', remove);
}
