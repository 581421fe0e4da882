import { Retention, RetentionJob } from './governance/retention';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import restify, { Request, Response, Server } from 'restify';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, ConversationReference, TeamsInfo, TurnContext } from 'botbuilder';
import { DutyLeadBot } from './teams/duty-lead-bot';
import { TeamsCards, TeamsPoster } from './teams/cards';
import { PersonalNotices } from './teams/personal-notices';
import { ChannelLinks } from './teams/channel-links';
import { Channels } from '../adapters';
import { Database } from '../db/database';
import { Conversation, Message, StaffMember } from '../db/entities';
import { replyTemplateFor } from './outbox/send-guards';
import { ClinicianAuth } from './http/auth/clinician-auth';
import { DEV_AUDIENCE, DevIdentityProvider } from './http/auth/dev-identity';
import { WebSignIn } from './http/auth/web-sign-in';
import { registerClinicianApi } from './http/api-routes';
import { ClinicianConversations } from './inbox/conversations';
import { ConversationActions } from './inbox/actions';
import { registerTab } from './http/tab';
import { loadConfig, ServiceDirectory } from './config/services';
import { recordDeliveryStatus } from './outbox/delivery-status';
import { GatewayBot } from './gateway/gateway-bot';
import { jsonRoute, sendJson, sendWebhookResponse, toWebhookRequest } from './http/respond';
import { InboundMessages, TriageEngines } from './gateway/inbound';
import { createLogger } from './logger';
import { OutboxWorker, OutboxWorkerOptions } from './outbox/worker';
import { Settings, SettingsError } from './config/settings';
import { seedDemoStaff } from './config/staff';
import { createTelemetry, Telemetry } from './telemetry';
import { EscalationLadder } from './escalation/ladder';
import { FanOut, InAppNotifier, LiveEvents, redisFanOut } from './live/live-events';
import { conversationLinks } from './teams/links';
import { ServiceTriage } from '../triage/service-engines';
import { readRequestBody } from './http/request-body';
import { DEFAULT_RATE_LIMITS, RateLimitOptions, RateLimits } from './http/rate-limits';
import { securityHeaders } from './http/security-headers';
import { activityProblem } from './teams/activity-shape';
import { StaffAlerts } from './escalation/staff-alerts';
import { smtpMailer } from '../adapters/email/smtp';
import { chatPageView, webchatServiceOf } from './config/webchat-page';
import { renderChatPage } from '../adapters/webchat/page/render';
import { chatAssets } from '../adapters/webchat/page/assets';

export interface Overrides {
  now?: () => Date;
  logger?: Logger;
  telemetry?: Telemetry;
  outbox?: Partial<Omit<OutboxWorkerOptions, 'db' | 'keyring' | 'senders' | 'log' | 'telemetry'>>;
  escalationPollIntervalMs?: number;
  /** The live event stream's heartbeat (default 15 s). */
  liveHeartbeatMs?: number;
  rateLimits?: Partial<Omit<RateLimitOptions, 'trustProxyHops'>>;
  /** The triage engines per service (tests put a failing one here to see failure handled safely). */
  triage?: TriageEngines;
  /** Web chat token requests per minute, per address and per service. */
  webchatTokenLimits?: { perAddress?: number; perService?: number };
}

/** The Teams bot's endpoint (Bot Framework). */
const BOT_MESSAGES_PATH = '/api/messages';

/** The largest request body any route takes (a webhook, a clinician's reply). */
export const MAX_REQUEST_BYTES = 256 * 1024;

export interface Lamplight {
  /** Where this process listens, e.g. http://127.0.0.1:3978. */
  url: string;
  publicUrl: string;
  db: Database;
  directory: ServiceDirectory;
  outbox: OutboxWorker;
  escalations: EscalationLadder;
  /** The daily retention run (issue 15); `runDue()` runs it now if a day has passed since the last. */
  retention: RetentionJob;
  events: LiveEvents;
  /** Every channel module, and whether stand-in providers run (demo mode: the simulator). */
  channels: Channels;
  devIdentity?: DevIdentityProvider;
  close(): Promise<void>;
}

/** Wires Lamplight together and starts it. Every behaviour lives in the modules it wires. */
export async function startLamplight(settings: Settings, overrides: Overrides = {}): Promise<Lamplight> {
  const log = overrides.logger ?? createLogger(settings.logLevel);
  const now = overrides.now ?? (() => new Date());
  const nowMs = () => now().getTime();
  const directory = new ServiceDirectory(loadConfig(settings.configPath), settings.configPath);
  // Built before anything opens: a malformed lexicon stops the start, naming the entry.
  const triage = overrides.triage ?? new ServiceTriage(directory.services);
  const db = await Database.open(settings.databaseUrl);
  try {
    const applied = await db.migrate();
    if (applied.length) log.info({ event: 'db.migrated', migrations: applied }, 'database migrated');
    if (settings.seedDemoData) {
      const seeded = await seedDemoStaff(db, directory, settings.keyring);
      if (seeded) log.info({ event: 'demo.seeded', memberships: seeded }, 'demo staff added');
    }
  } catch (error) {
    await db.close();
    throw error;
  }
  const telemetry = overrides.telemetry ?? createTelemetry(settings.appInsightsConnectionString);

  // Addresses known only once the server listens (port 0 in tests) are read through these.
  let url = '';
  let publicUrl = settings.publicUrl ?? '';

  const events = new LiveEvents();
  let fanOut: FanOut | undefined;
  if (settings.redisUrl) {
    fanOut = await redisFanOut(settings.redisUrl, (error) => log.warn({ event: 'live.redis_error', err: { name: error.name } }, 'live events: Redis trouble'), settings.redisChannel);
    events.useFanOut(fanOut);
  }

  if (!settings.auth && !settings.demo) throw new SettingsError('AUTH_ISSUER, AUTH_AUDIENCE and AUTH_JWKS_URL are required outside demo mode: the dev sign-in runs only in the demo');
  // Set once the gateway bot and the outbox exist; channels call them only once the server listens.
  let runGateway: (context: TurnContext) => Promise<void> = async () => { throw new Error('the gateway is not ready'); };
  let wakeOutbox = () => undefined as void;
  const webchatServices = directory.services.map((s) => webchatServiceOf(s, process.env)).filter((s) => s !== undefined);
  for (const service of directory.services) {
    const secretEnv = service.webchat?.secretEnv;
    if (secretEnv && (process.env[secretEnv] ?? '').length < 32) throw new SettingsError(`${secretEnv} (the Direct Line secret of ${service.slug}'s web chat) must be set, at least 32 characters`);
  }
  // Set once the rate limits exist; the web chat counts forged tokens as failed authentication.
  let rateLimitsRef: RateLimits | undefined;
  const channels = await Channels.create({
    twilio: settings.twilio, whatsapp: settings.whatsapp, demo: settings.demo,
    webchat: {
      db, keyring: settings.keyring, now: nowMs,
      services: () => webchatServices,
      page: { render: renderChatPage, assets: chatAssets },
      pageView: (endpoint, embedded) => {
        const service = directory.byAddress('webchat', endpoint);
        return service ? chatPageView(service, now(), publicUrl, embedded) : undefined;
      },
      clientAddress: (req) => rateLimitsRef!.clientAddress(req as Request),
      onForgedToken: (req) => rateLimitsRef!.countFailedAuthentication(req as Request),
      limits: overrides.webchatTokenLimits,
    },
  }, {
    publicUrl: () => publicUrl,
    localUrl: () => url,
    isServiceAddress: (channel, address) => directory.byAddress(channel, address) !== undefined,
    onDeliveryStatus: async (update) => {
      const changed = await recordDeliveryStatus(db, log, update, nowMs(), async (item) => {
        const conversation = await db.manager.findOneBy(Conversation, { id: item.conversationId });
        const message = await db.manager.findOneBy(Message, { id: item.messageId });
        if (!conversation || !message) return undefined;
        return replyTemplateFor(directory.bySlugOrUndefined(conversation.serviceSlug), conversation, message.authorKind)?.name;
      });
      if (changed?.status === 'retrying') wakeOutbox();
      if (changed) events.publish({ type: 'delivery.updated', serviceSlug: changed.serviceSlug, conversationId: changed.conversationId, level: changed.status });
    },
    onStored: () => wakeOutbox(),
    runGateway: (context) => runGateway(context),
    log,
  });

  // The Teams bot: Bot Framework authentication when MICROSOFT_APP_ID is set; unauthenticated
  // (like the Bot Framework Emulator) only in demo mode, for local testing; otherwise refused.
  const teamsAdapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication(settings.microsoftApp ? {
    MicrosoftAppId: settings.microsoftApp.appId,
    MicrosoftAppPassword: settings.microsoftApp.password,
    MicrosoftAppTenantId: settings.microsoftApp.tenantId,
    MicrosoftAppType: settings.microsoftApp.tenantId ? 'SingleTenant' : 'MultiTenant',
  } : {}));
  teamsAdapter.onTurnError = async (_context, error) => log.error({ event: 'teams.turn_error', err: { name: error.name } }, 'Teams bot turn failed');
  const teamsPoster: TeamsPoster = {
    post: async (reference, activity) => {
      let id: string | undefined;
      await inTeams(reference, async (context) => {
        // The SDK would make this a reply to its own synthetic continuation event; a card is a new post.
        context.activity.id = undefined as unknown as string;
        id = (await context.sendActivity(activity))?.id;
      });
      return id;
    },
    update: (reference, activityId, activity) => inTeams(reference, async (context) => {
      await context.updateActivity({ ...activity, id: activityId });
    }),
  };
  const links = (conversationId: string) => conversationLinks(publicUrl, settings.microsoftApp?.appId, conversationId);
  const channelLinks = new ChannelLinks({ db, directory, now: nowMs });
  const teamsCards = new TeamsCards({ db, keyring: settings.keyring, directory, log, now: nowMs, links, teams: teamsPoster, channels: channelLinks });
  const personalNotices = new PersonalNotices({ db, directory, log, now: nowMs, links, teams: teamsPoster });
  const mailer = settings.smtp ? smtpMailer(settings.smtp) : undefined;
  const staffAlerts = new StaffAlerts({ db, keyring: settings.keyring, directory, sms: channels.senders().sms, mailer, links, log, now: nowMs });
  for (const service of directory.services) {
    // Said once at startup: a ladder that will reach nobody by text or email is the operator's to know.
    const wanted = service.escalation.alertBy;
    const missing = [
      wanted.includes('sms') && !staffAlerts.smsFrom(service) && 'by text (no SMS number: set channels.sms or escalation.alertSmsFrom)',
      wanted.includes('email') && !staffAlerts.email && 'by email (SMTP_URL is not set)',
    ].filter(Boolean);
    if (missing.length) log.warn({ event: 'escalation.alerts_off', service: service.slug, missing }, `escalation alerts for ${service.slug} will not go ${missing.join(' or ')}`);
  }
  /** Runs `work` in a turn on the conversation; its failure reaches the caller (the adapter would hand it to onTurnError and resolve). */
  async function inTeams(reference: Partial<ConversationReference>, work: (context: TurnContext) => Promise<void>): Promise<void> {
    let failure: unknown;
    await teamsAdapter.continueConversationAsync(settings.microsoftApp?.appId ?? '', reference, async (context) => {
      try {
        await work(context);
      } catch (error) {
        failure = error;
      }
    });
    if (failure) throw failure;
  }
  const outbox = new OutboxWorker({
    db, keyring: settings.keyring, senders: channels.senders(), directory, log, telemetry, now: nowMs, ...overrides.outbox,
    // Escalation cards for the duty-lead channels and personal notices, sent by the Teams bot.
    cards: { send: async (item) => (await personalNotices.send(item)) ?? teamsCards.send(item) },
    // Escalation alerts to staff by text and email.
    alerts: staffAlerts,
    onStatus: (change) => events.publish({ type: 'delivery.updated', serviceSlug: change.serviceSlug, conversationId: change.conversationId, level: change.status }),
  });
  const escalations = new EscalationLadder({
    db, keyring: settings.keyring, directory, notifier: new InAppNotifier(events), onQueued: () => outbox.wake(), log, now: nowMs, pollIntervalMs: overrides.escalationPollIntervalMs,
    // Each step: the card in the duty-lead channel, and a personal notice to each person it alerts.
    queued: {
      queue: async (tx, notification, now) => {
        const card = await teamsCards.queue(tx, notification, now);
        const notices = await personalNotices.queue(tx, notification, now);
        const alerts = await staffAlerts.queue(tx, notification, now);
        return card || notices || alerts;
      },
      changed: (tx, conversationId, now) => teamsCards.changed(tx, conversationId, now),
    },
  });
  const dutyLeadBot = new DutyLeadBot({
    db, escalations, cards: teamsCards, channels: channelLinks, notices: personalNotices, log, now: nowMs,
    // Teams does not put names on a channel's messages; ask it (best effort: a link without names still works).
    channelNames: async (context) => {
      const data = context.activity.channelData as { channel?: { id?: string; name?: string }; team?: { id?: string; name?: string } } | undefined;
      let name = data?.channel?.name ?? null;
      let teamName = data?.team?.name ?? null;
      try {
        if (data?.team?.id && (!name || !teamName)) {
          const [channels, team] = await Promise.all([TeamsInfo.getTeamChannels(context, data.team.id), TeamsInfo.getTeamDetails(context, data.team.id)]);
          // The General channel has no name of its own.
          name ??= channels.find((c) => c.id === data.channel?.id)?.name || (data.channel?.id === data.team.id ? 'General' : null);
          teamName ??= team.name ?? null;
        }
      } catch (error) {
        log.warn({ event: 'teams.channel_names_failed', err: { name: (error as Error).name } }, 'could not read the channel and team names');
      }
      return { name, teamName };
    },
  });
  escalations.onAcknowledged = (e) => events.publish({ type: 'escalation.acknowledged', serviceSlug: e.serviceSlug, conversationId: e.conversationId, escalationId: e.id });
  escalations.onClaimed = (e) => events.publish({ type: 'conversation.updated', serviceSlug: e.serviceSlug, conversationId: e.conversationId, action: 'conversation.claim' });
  const inbound = new InboundMessages({
    db, keyring: settings.keyring, directory, triage, escalations, now,
    onTriageFailed: (error) => log.error({ event: 'triage.failed', err: { name: (error as Error)?.name } }, 'triage failed; the message is stored and treated as high risk'),
  });
  const bot = new GatewayBot(inbound, telemetry, log);
  const conversations = new ClinicianConversations({ db, keyring: settings.keyring, directory, now: nowMs });
  const actions = new ConversationActions({ db, keyring: settings.keyring, directory, events, now: nowMs, onQueued: () => outbox.wake(), cards: teamsCards, notices: personalNotices, onTyping: (endpoint, userId) => channels.webchat.typing(endpoint, userId) });
  runGateway = (context) => bot.run(context);
  wakeOutbox = () => outbox.wake();
  bot.onStored = (result) => {
    if (result.risk?.escalationIsNew) escalations.wake();
    events.publish({ type: 'message.created', serviceSlug: result.serviceSlug, conversationId: result.conversationId, level: result.risk?.level ?? 'none' });
  };

  let devIdentity: DevIdentityProvider | undefined;
  let auth: ClinicianAuth | undefined;
  let limitedAuth: ClinicianAuth | undefined;

  const webhooks = channels.modules.flatMap((m) => m.routes);
  const rateLimits = new RateLimits({ ...DEFAULT_RATE_LIMITS, ...overrides.rateLimits, trustProxyHops: settings.trustProxyHops }, [...webhooks.map((r) => r.path), BOT_MESSAGES_PATH]);
  rateLimitsRef = rateLimits;
  const server: Server = restify.createServer({ name: 'lamplight', handleUncaughtExceptions: false });
  server.pre(securityHeaders((settings.publicUrl ?? '').startsWith('https://')));
  server.pre(channels.webchat.pre());
  server.pre(rateLimits.guard());
  server.use(restify.plugins.queryParser({ mapParams: false }));
  server.use(readRequestBody({
    rules: [...webhooks.filter((r) => r.bodyTypes.length).map((r) => ({ pathPrefix: r.path, types: r.bodyTypes, parse: false })), { pathPrefix: '/', types: ['json'] }],
    maxBytes: MAX_REQUEST_BYTES,
  }));

  let shuttingDown = false;
  server.get('/healthz', async (_req: Request, res: Response) => sendJson(res, 200, { status: 'ok' }));
  server.get('/readyz', async (_req: Request, res: Response) => {
    if (shuttingDown) return sendJson(res, 503, { status: 'shutting-down' });
    try {
      await db.ping();
      sendJson(res, 200, { status: 'ready', database: db.dialect });
    } catch {
      sendJson(res, 503, { status: 'unavailable', database: db.dialect });
    }
  });

  for (const route of webhooks) {
    server[route.method](route.path, async (req: Request, res: Response) => sendWebhookResponse(res, await route.handle(toWebhookRequest(req))));
  }
  channels.webchat.register(server);

  const api = registerClinicianApi(server, { auth: () => limitedAuth!, conversations, actions, escalations, events, notices: personalNotices, alerts: staffAlerts, channels: channelLinks, directory, db, keyring: settings.keyring, publicUrl: () => publicUrl, now: nowMs, log, heartbeatMs: overrides.liveHeartbeatMs });

  const webSignIn = new WebSignIn(settings.webSignIn, settings.auth ? 'token-only' : 'dev', log);
  webSignIn.warm();
  registerTab(server, webSignIn);
  server.post(BOT_MESSAGES_PATH, async (req: Request, res: Response) => {
    if (!settings.microsoftApp && !settings.demo) return sendJson(res, 503, { error: 'not_configured', message: 'set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD for the Teams bot' });
    const problem = activityProblem(req.body);
    if (problem) return sendJson(res, 400, { error: 'bad_activity', message: problem });
    await teamsAdapter.process(req as never, res as never, (context) => dutyLeadBot.run(context));
  });
  if (!settings.auth) registerDevIdentity(server, () => devIdentity!, db, log);
  channels.registerSimulator(server, directory.services.map((s) => ({ slug: s.slug, name: s.name, sms: s.channels.sms, whatsapp: s.channels.whatsapp, webchat: s.channels.webchat })), { localUrl: () => url, publicUrl: () => publicUrl });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}`;
  publicUrl = settings.publicUrl ?? `http://localhost:${port}`;
  if (!settings.auth) {
    devIdentity = await DevIdentityProvider.create(publicUrl);
    auth = new ClinicianAuth({ issuer: devIdentity.issuer, audience: DEV_AUDIENCE, jwksUrl: `${url}${devIdentity.jwksPath}` }, db);
  } else {
    auth = new ClinicianAuth(settings.auth!, db);
  }
  limitedAuth = countingRequests(auth, rateLimits);
  outbox.start();
  escalations.start();
  const retention = new RetentionJob({ db, retention: new Retention({ db, directory, now: nowMs }), now: nowMs, log });
  retention.start();

  return {
    url,
    publicUrl,
    db,
    directory,
    outbox,
    escalations,
    retention,
    events,
    channels,
    devIdentity,
    async close() {
      shuttingDown = true;
      api.closeStreams();
      // Open chat pages hold their sockets: close them first, or the server would wait for them.
      await channels.webchat.stopLive();
      // Stop taking requests and let those in flight commit, then finish the send in flight.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server.server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      });
      await outbox.stop();
      await escalations.stop();
      await retention.stop();
      mailer?.close();
      await conversations.close();
      await fanOut?.close();
      await telemetry.flush().catch(() => undefined);
      await channels.close();
      await db.close();
    },
  };
}

/** Every authenticated API request counts against its staff member's rate limit. */
function countingRequests(auth: ClinicianAuth, limits: RateLimits): ClinicianAuth {
  const counted = Object.create(auth) as ClinicianAuth;
  counted.authenticate = async (...args: Parameters<ClinicianAuth['authenticate']>) => {
    const staff = await auth.authenticate(...args);
    await limits.countApiRequest(staff.id);
    return staff;
  };
  return counted;
}

function registerDevIdentity(server: Server, idp: () => DevIdentityProvider, db: Database, log: Logger): void {
  server.get('/dev/idp/jwks.json', async (_req: Request, res: Response) => sendJson(res, 200, idp().jwks()));
  server.get('/dev/idp/staff', jsonRoute(log, async () => ({
    staff: (await db.manager.find(StaffMember, { order: { email: 'ASC' } })).map((s) => ({ email: s.email, name: s.name })),
  })));
  server.post('/dev/idp/token', jsonRoute(log, async (req) => {
    const email = typeof req.body?.email === 'string' ? req.body.email.trim().toLowerCase() : '';
    const staff = email ? await db.manager.findOneBy(StaffMember, { email }) : null;
    if (!staff) return { status: 404, body: { error: 'not_found', message: 'no staff member with that email; see GET /dev/idp/staff' } };
    return { access_token: await idp().issue(staff), token_type: 'Bearer', expires_in: 8 * 3600 };
  }));
}
