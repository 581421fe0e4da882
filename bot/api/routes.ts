import type { Request, Server } from 'restify';
import type { Logger } from 'pino';
import { jsonRoute } from '../http';
import type { ClinicianConversations } from '../clinician-conversations';
import type { EscalationLadder } from '../escalations';
import type { ClinicianAuth } from './clinician-auth';
import { badRequest } from './http-error';
import { openApiDocument } from './openapi';

export function registerClinicianApi(server: Server, deps: { auth: () => ClinicianAuth; conversations: ClinicianConversations; escalations: EscalationLadder; publicUrl: () => string; log: Logger }): void {
  const { conversations, escalations, log } = deps;
  const staffOf = (req: Request) => deps.auth().authenticate(req.headers.authorization);

  server.get('/api/v1/openapi.json', jsonRoute(log, async () => openApiDocument(deps.publicUrl())));

  server.get('/api/v1/me', jsonRoute(log, async (req) => staffOf(req)));

  server.get('/api/v1/conversations', jsonRoute(log, async (req) => {
    const staff = await staffOf(req);
    const query = (req.query ?? {}) as Record<string, unknown>;
    const status = query.status ?? 'open';
    if (status !== 'open' && status !== 'closed') throw badRequest('status must be open or closed');
    if (query.service !== undefined && typeof query.service !== 'string') throw badRequest('service must be a service slug');
    return { conversations: await conversations.list(staff, { status, service: query.service as string | undefined }) };
  }));

  server.get('/api/v1/conversations/:id', jsonRoute(log, async (req) => conversations.get(await staffOf(req), req.params.id)));

  server.post('/api/v1/conversations/:id/messages', jsonRoute(log, async (req) => {
    const staff = await staffOf(req);
    if (!req.is('json')) throw badRequest('send JSON (Content-Type: application/json)');
    return { status: 201, body: await conversations.reply(staff, req.params.id, req.body) };
  }));

  server.post('/api/v1/conversations/:id/clear-risk', jsonRoute(log, async (req) => conversations.clearRisk(await staffOf(req), req.params.id)));

  server.get('/api/v1/escalations', jsonRoute(log, async (req) => {
    const staff = await staffOf(req);
    const status = (req.query ?? {}).status;
    if (status !== undefined && !['open', 'acknowledged', 'all'].includes(status)) throw badRequest('status must be open, acknowledged or all');
    return { escalations: await escalations.list(staff, status) };
  }));

  server.post('/api/v1/escalations/:id/acknowledge', jsonRoute(log, async (req) => escalations.acknowledge(await staffOf(req), req.params.id)));
}
