import type { Request, Server } from 'restify';
import type { Logger } from 'pino';
import type { EscalationLadder } from '../escalation/ladder';
import type { StaffIdentity } from '../identity';
import { invalid } from '../problems';
import { jsonRoute } from './respond';

interface Dependencies {
  staffOf: (req: Request) => Promise<StaffIdentity>;
  escalations: EscalationLadder;
  log: Logger;
}

/** Escalations for duty leads and admins: the open and recent ones, and acknowledging one. */
export function registerEscalationRoutes(server: Server, { staffOf, escalations, log }: Dependencies): void {
  server.get('/api/v1/escalations', jsonRoute(log, async (req) => {
    const staff = await staffOf(req);
    const status = (req.query ?? {}).status;
    if (status !== undefined && !['open', 'acknowledged', 'all'].includes(status)) throw invalid('status must be open, acknowledged or all');
    return { escalations: await escalations.list(staff, status) };
  }));
  // Acknowledging says what was done: `{ "outcome": "…" }`, kept as a sealed note in the thread.
  server.post('/api/v1/escalations/:id/acknowledge', jsonRoute(log, async (req) => {
    const staff = await staffOf(req);
    // Anything but a JSON object with an outcome is refused by the use case as 400, after the access checks.
    const body: unknown = req.is('json') ? req.body : undefined;
    const outcome = typeof body === 'object' && body !== null ? (body as { outcome?: unknown }).outcome : undefined;
    return escalations.acknowledge(staff, String(req.params.id), { outcome });
  }));
}
