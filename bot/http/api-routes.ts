import type { Request, Response, Server } from 'restify';
import type { Logger } from 'pino';
import { In } from 'typeorm';
import type { Database } from '../../db/database';
import type { Keyring } from '../../db/crypto';
import { ServiceMembership, StaffMember } from '../../db/entities';
import { visibleServices } from '../inbox/access';
import { RefusedSignIns } from '../audit/record';
import { AuditTrail } from '../audit/trail';
import type { ClinicianConversations } from '../inbox/conversations';
import type { ServiceDirectory } from '../config/services';
import { RISK_CLEAR_REASONS, type ConversationActions } from '../inbox/actions';
import type { EscalationLadder } from '../escalation/ladder';
import { jsonRoute } from './respond';
import type { LiveEvents } from '../live/live-events';
import { registerAuditRoutes } from './audit-routes';
import { registerEscalationRoutes } from './escalation-routes';
import { registerAdminRoutes } from './admin-routes';
import { registerReportRoutes } from './report-routes';
import { Reports } from '../reports/reports';
import { AuthenticationRefused, ClinicianAuth, StaffIdentity, TokenHolder } from './auth/clinician-auth';
import { registerEventStream } from '../http/event-streams';
import { invalid } from '../problems';
import { openApiDocument } from './openapi';
import type { PersonalNotices } from '../teams/personal-notices';
import type { StaffAlerts } from '../escalation/staff-alerts';
import type { ChannelLinks } from '../teams/channel-links';

export interface ApiDependencies {
  auth: () => ClinicianAuth;
  conversations: ClinicianConversations;
  actions: ConversationActions;
  escalations: EscalationLadder;
  events: LiveEvents;
  directory: ServiceDirectory;
  db: Database;
  keyring: Keyring;
  publicUrl: () => string;
  now: () => number;
  log: Logger;
  /** Personal notices in Teams: whether the bot can reach this person, and their mute. */
  notices: Pick<PersonalNotices, 'settings' | 'setMute'>;
  /** Escalation alerts by text and email: my work mobile, and what my services send. */
  alerts: Pick<StaffAlerts, 'settings' | 'setWorkMobile'>;
  /** Which Teams channel each service's escalation cards go to. */
  channels: Pick<ChannelLinks, 'linked'>;
  /** How often an idle event stream gets a comment line, so a client can tell a dead connection from a quiet one. */
  heartbeatMs?: number;
}

/** The clinician API. Routes only translate HTTP; the rules live in the modules they call. */
export function registerClinicianApi(server: Server, deps: ApiDependencies): { closeStreams: () => void } {
  const { conversations, actions, escalations, log } = deps;
  const refusedSignIns = new RefusedSignIns({ db: deps.db, now: deps.now });
  const staffOf = async (req: Request, options?: { clockToleranceSeconds?: number }): Promise<TokenHolder> => {
    try {
      return await deps.auth().authenticate(req.headers.authorization, options);
    } catch (error) {
      if (error instanceof AuthenticationRefused) {
        const route = req.getRoute?.();
        await refusedSignIns.record({ ...error.refusal, route: `${req.method ?? 'GET'} ${route?.path ?? '?'}` });
      }
      throw error;
    }
  };
  const id = (req: Request) => String(req.params.id);
  const json = (req: Request) => {
    if (!req.is('json')) throw invalid('send JSON (Content-Type: application/json)');
    return req.body;
  };

  server.get('/api/v1/openapi.json', jsonRoute(log, async () => openApiDocument(deps.publicUrl())));
  server.get('/api/v1/me', jsonRoute(log, async (req) => {
    const staff = await staffOf(req);
    const { id: staffId, email, name, memberships } = staff;
    return { id: staffId, email, name, memberships, teamsNotices: await deps.notices.settings(staffId), escalationAlerts: await deps.alerts.settings(staff) };
  }));
  // My work mobile for escalation alerts by text (null removes it); kept sealed, audited without the number.
  server.put('/api/v1/me/work-mobile', jsonRoute(log, async (req) => {
    const staff = await staffOf(req);
    const body = json(req) as { workMobile?: unknown } | null;
    if (!body || typeof body !== 'object' || !('workMobile' in body)) throw invalid('the body must be JSON with "workMobile" (a phone number, or null to remove it)');
    return deps.alerts.setWorkMobile(staff, body.workMobile);
  }));
  // Mute or unmute my non-urgent Teams notices (assignments, transfers); escalation alerts cannot be muted.
  server.put('/api/v1/me/notices', jsonRoute(log, async (req) => {
    const staff = await staffOf(req);
    const body = json(req) as { muteNonUrgent?: unknown } | null;
    if (typeof body?.muteNonUrgent !== 'boolean') throw invalid('the body must be JSON with "muteNonUrgent" (true or false)');
    return deps.notices.setMute(staff, body.muteNonUrgent);
  }));

  server.get('/api/v1/services', jsonRoute(log, async (req) => {
    const staff = await staffOf(req);
    const mine = visibleServices(staff, deps.directory);
    const memberships = mine.length ? await deps.db.manager.find(ServiceMembership, { where: { serviceSlug: In(mine) } }) : [];
    const people = memberships.length ? await deps.db.manager.findBy(StaffMember, { id: In([...new Set(memberships.map((m) => m.staffId))]) }) : [];
    const names = new Map(people.map((p) => [p.id, p.name]));
    const channels = await deps.channels.linked(mine);
    return {
      outcomes: deps.directory.config.outcomes,
      // Why a risk flag may be cleared: the codes the clear-risk action takes, with their words.
      riskClearReasons: [...RISK_CLEAR_REASONS].map(([code, words]) => ({ code, words })),
      all: deps.directory.services.map((s) => ({ slug: s.slug, name: s.name })),
      mine: mine.map((slug) => {
        const s = deps.directory.bySlugOrUndefined(slug)!;
        return {
          slug, name: s.name, role: staff.memberships.find((m) => m.serviceSlug === slug)!.role,
          replyPromiseMinutes: s.replyPromise.minutes, replyPromise: s.replyPromise.wording, templates: s.templates,
          colleagues: memberships.filter((m) => m.serviceSlug === slug).map((m) => ({ id: m.staffId, name: names.get(m.staffId) ?? '', role: m.role })),
          // The Teams channel its escalation cards go to (linked by a command there, or in the config), or null.
          dutyLeadChannel: channels.get(slug) ?? null,
        };
      }),
    };
  }));

  server.get('/api/v1/conversations', jsonRoute(log, async (req) => {
    const staff = await staffOf(req);
    const query = (req.query ?? {}) as Record<string, unknown>;
    if (query.status !== undefined && query.status !== 'open' && query.status !== 'closed') throw invalid('status must be open or closed');
    if (query.service !== undefined && typeof query.service !== 'string') throw invalid('service must be a service slug');
    const queue = typeof query.queue === 'string' ? query.queue : (query.status as string | undefined);
    return conversations.list(staff, { queue, service: query.service as string | undefined });
  }));

  // Search: words, a number (whole or last four), dates, service, risk, status (see bot/inbox/search.ts).
  server.get('/api/v1/search/conversations', jsonRoute(log, async (req) => conversations.search(await staffOf(req), (req.query ?? {}) as Record<string, unknown>)));

  server.get('/api/v1/conversations/:id', jsonRoute(log, async (req) => {
    const staff = await staffOf(req);
    const query = req.query ?? {};
    return conversations.get(staff, id(req), { limit: query.limit, before: query.before });
  }));

  for (const [extension, format, type] of [['txt', 'text', 'text/plain; charset=utf-8'], ['pdf', 'pdf', 'application/pdf']] as const) {
    server.get(`/api/v1/conversations/:id/transcript.${extension}`, async (req: Request, res: Response) => {
      try {
        const { body, name } = await conversations.transcript(await staffOf(req), id(req), format);
        res.writeHead(200, { 'content-type': type, 'content-disposition': `attachment; filename="${name}.${extension}"`, 'cache-control': 'no-store' });
        res.end(body);
      } catch (error) {
        await jsonRoute(log, async () => { throw error; })(req, res);
      }
    });
  }

  const action = (path: string, run: (staff: StaffIdentity, id: string, body: unknown) => Promise<unknown>, status = 200, needsBody = true) =>
    server.post(`/api/v1/conversations/:id/${path}`, jsonRoute(log, async (req) => {
      const staff = await staffOf(req);
      return { status, body: await run(staff, id(req), needsBody ? json(req) : undefined) };
    }));
  // A reply may carry an Idempotency-Key: the same key again answers with the reply already stored.
  server.post('/api/v1/conversations/:id/messages', jsonRoute(log, async (req) => {
    const staff = await staffOf(req);
    const key = req.headers['idempotency-key'];
    return { status: 201, body: await actions.reply(staff, id(req), json(req), typeof key === 'string' ? key : undefined) };
  }));
  action('notes', (s, i, b) => actions.addNote(s, i, b), 201);
  action('claim', (s, i) => actions.claim(s, i), 200, false);
  action('assign', (s, i, b) => actions.assign(s, i, b));
  action('transfer', (s, i, b) => actions.transfer(s, i, b));
  action('close', (s, i, b) => actions.close(s, i, b));
  action('recorded', (s, i) => actions.markRecorded(s, i), 200, false);
  action('clear-risk', (s, i, b) => actions.clearRisk(s, i, b));
  action('reopen', (s, i, b) => actions.reopen(s, i, b));
  action('block', (s, i) => actions.block(s, i), 200, false);
  action('unblock', (s, i) => actions.unblock(s, i), 200, false);
  action('retry', (s, i, b) => actions.retry(s, i, b));
  // The reply box is in use: a web chat page shows "typing" (the tab calls this at most every few seconds).
  server.post('/api/v1/conversations/:id/typing', jsonRoute(log, async (req) => {
    await actions.typing(await staffOf(req), id(req));
    return { status: 202, body: { ok: true } };
  }));

  registerEscalationRoutes(server, { staffOf, escalations, log });
  registerAdminRoutes(server, { ...deps, staffOf });
  registerAuditRoutes(server, { staffOf, trail: new AuditTrail({ db: deps.db, now: deps.now }), log });
  registerReportRoutes(server, { staffOf, reports: new Reports({ db: deps.db, directory: deps.directory, now: deps.now }), log });
  const streams = registerEventStream(server, { staffOf, events: deps.events, directory: deps.directory, log, heartbeatMs: deps.heartbeatMs });

  return { closeStreams: streams.closeAll };
}
