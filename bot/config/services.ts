import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { REPLY_TEXT_LIMITS, type ChannelName } from '../../adapters/channel';
import { DEFAULT_EXIT_URL } from '../../adapters/webchat/policy';

/**
 * The services configuration: what each service is called, where it can be reached, when it is
 * open and what its auto-replies say. A config that is wrong must stop the start, naming the
 * problem, rather than run with a silent default in front of service users.
 */

const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof DAYS)[number];
const PLACEHOLDERS = ['service', 'organisation', 'nextOpening', 'replyPromise', 'urgentReplyPromise'] as const;

/**
 * What a service that wrote no `holding` reply sends to a further message in a high-risk
 * conversation no person has answered yet: short, and it promises nothing a rota may not keep.
 */
export const DEFAULT_HOLDING_REPLY = "We have your message. If you are in danger now, call 999 or go to A&E. For urgent help any time, call NHS 111.";

/** What a service that wrote no `textOnly` reply sends to a photo, voice note or file. */
export const DEFAULT_TEXT_ONLY_REPLY = "The {service} team can only read typed words here: we can't open photos, voice notes, files or locations. If there's more you want to tell us, please type it. If you need help right now, call 999 in an emergency or NHS 111.";

const timeWindow = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]|24):[0-5]\d$/, 'must look like "09:00-17:00" (24-hour clock)')
  .refine((w) => { const [a, b] = w.split('-'); return a < b; }, 'must end after it starts');

const autoReplyText = z.string().trim().min(1, 'must not be empty').max(1000, 'must be at most 1000 characters')
  .superRefine((text, ctx) => {
    for (const match of text.matchAll(/\{([^}]*)\}/g)) {
      if (!(PLACEHOLDERS as readonly string[]).includes(match[1])) {
        ctx.addIssue({ code: 'custom', message: `unknown placeholder {${match[1]}} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})` });
      }
    }
  });

/** Placeholders a WhatsApp template parameter may hold; `{reply}` is the clinician's reply. */
const TEMPLATE_PLACEHOLDERS = ['reply', 'service', 'organisation'] as const;

/**
 * A template parameter as Meta takes it: no newlines or tabs, no more than four spaces in a row
 * (Graph error 132018 otherwise), and only the known placeholders.
 */
const templateParameter = z.string().min(1).max(1024).superRefine((text, ctx) => {
  if (/[\n\t]| {5,}/.test(text)) ctx.addIssue({ code: 'custom', message: 'must not contain newlines, tabs or more than four spaces in a row (Meta refuses them)' });
  for (const match of text.matchAll(/\{([^}]*)\}/g)) {
    if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(match[1])) {
      ctx.addIssue({ code: 'custom', message: `unknown placeholder {${match[1]}} (known: ${TEMPLATE_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})` });
    }
  }
});

/**
 * The approved WhatsApp template a clinician's reply goes in once the contact's 24-hour window has
 * closed: its name and language exactly as approved in WhatsApp Manager, and what fills its body's
 * `{{1}}`, `{{2}}`, … in order. One parameter must carry `{reply}`: the reply itself is what the
 * contact needs to read.
 */
const replyTemplateSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'must be the template name as approved: lower-case letters, digits and underscores'),
  language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'must be a language code as Meta writes it, such as en_GB or en'),
  parameters: z.array(templateParameter).min(1).max(10),
  /**
   * The approved body exactly as in WhatsApp Manager, with its `{{1}}`, `{{2}}`, …: optional, but
   * with it the inbox shows clinicians what the contact will read, and the reply's limit is exact.
   */
  body: z.string().trim().min(1).max(1024).optional(),
}).superRefine((template, ctx) => {
  const carriers = template.parameters.filter((p) => p.includes('{reply}')).length;
  if (carriers !== 1) ctx.addIssue({ code: 'custom', path: ['parameters'], message: 'exactly one parameter must hold {reply}, the clinician\'s words' });
  if (template.body !== undefined) {
    const numbers = [...new Set([...template.body.matchAll(/\{\{(\d+)\}\}/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
    const expected = template.parameters.map((_, i) => i + 1);
    if (numbers.join(',') !== expected.join(',')) ctx.addIssue({ code: 'custom', path: ['body'], message: `must use {{1}} to {{${expected.length}}}, one per parameter (it uses ${numbers.length ? numbers.map((n) => `{{${n}}}`).join(' ') : 'none'})` });
  }
});
export type ReplyTemplateConfig = z.infer<typeof replyTemplateSchema>;

/** `role:duty-lead` (everyone with that role in the service) or `staff:person@trust.nhs.uk`. */
const recipient = z.string().regex(/^(role:(clinician|duty-lead|admin)|staff:[^@\s]+@[^@\s]+)$/, 'must be role:clinician|duty-lead|admin or staff:<email>');
const ladderSchema = z.strictObject({
  acknowledgeWithinMinutes: z.number().int().min(1).max(240),
  /** Level 1 first; each level a list of recipients. */
  levels: z.array(z.array(recipient).min(1)).min(1).max(6),
});

/** A site allowed to frame the chat page: https, or http on this machine (for trying it out). */
const embedOrigin = z.string().regex(/^(https:\/\/[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?|http:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?)$/,
  'must be an origin like https://www.example.nhs.uk (scheme and host, no path or trailing slash; http only for localhost)');

/** The first-contact notice on the chat page when a service writes none. */
export const DEFAULT_CONFIDENTIALITY = "What you tell us is confidential. We only share it if we are worried that you or someone else is at risk of harm, and we would talk to you first if we can. You don't have to give your name.";

/**
 * The web chat page and widget (`channels.webchat` is its address): who answers, as the young
 * person reads it; the neutral site Quick exit goes to; the sites allowed to embed the widget;
 * and, for a trust's own server using Direct Line's tokens/generate, the environment variable that
 * holds the Direct Line secret (never the secret itself).
 */
const webchatSchema = z.strictObject({
  answeredBy: z.string().trim().min(1).max(60),
  exitUrl: z.string().url().refine((u) => u.startsWith('https://'), 'must be an https address').default(DEFAULT_EXIT_URL),
  embedOrigins: z.array(embedOrigin).max(20).default([]),
  confidentiality: z.string().trim().min(1).max(1000).default(DEFAULT_CONFIDENTIALITY),
  secretEnv: z.string().regex(/^[A-Z][A-Z0-9_]{2,63}$/, 'must be the name of an environment variable, like SCHOOL_NURSING_DIRECT_LINE_SECRET').optional(),
});
export type WebchatConfig = z.infer<typeof webchatSchema>;

const serviceSchema = z.strictObject({
  slug: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lower-case words joined by hyphens'),
  name: z.string().trim().min(1),
  audience: z.enum(['young-people', 'parents-and-carers', 'adults', 'adults-and-young-people']),
  bankHolidays: z.enum(['england-and-wales', 'scotland', 'northern-ireland']),
  replyPromise: z.strictObject({ minutes: z.number().int().positive(), wording: z.string().trim().min(1) }),
  /**
   * The reply promise for a conversation flagged high or medium risk: its clock in the tab, and
   * `{urgentReplyPromise}` in the safety text. Absent, flagged conversations keep `replyPromise`.
   */
  urgentReplyPromise: z.strictObject({ minutes: z.number().int().positive(), wording: z.string().trim().min(1) }).optional(),
  channels: z.strictObject({
    sms: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +447700900101').optional(),
    whatsapp: z.string().regex(/^\d{5,20}$/, 'must be the WhatsApp phone-number id (digits)').optional(),
    webchat: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/).optional(),
  }),
  hours: z.strictObject(Object.fromEntries(DAYS.map((d) => [d, z.array(timeWindow).optional()])) as Record<Weekday, z.ZodOptional<z.ZodArray<typeof timeWindow>>>),
  /** Extra local dates (YYYY-MM-DD) the service is closed, beyond bank holidays. */
  closures: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-12-24')).default([]),
  autoReplyIntervalMinutes: z.number().int().positive().optional(),
  /** The safety signposting reply goes at most once per conversation in this many minutes. */
  safetyReplyIntervalMinutes: z.number().int().positive().default(60),
  /**
   * While a high-risk conversation has no reply from a person, a further message gets the
   * `holding` reply at most once in this many minutes (counted from the safety reply too).
   */
  holdingReplyIntervalMinutes: z.number().int().positive().default(30),
  /**
   * A contact who writes again within this many days of their last conversation here closing is
   * a returning contact: the new conversation starts at the risk level the last one closed with,
   * goes to the clinician who had it (if still in the service), gets no second welcome, and says so
   * in its thread. 0 turns this off.
   */
  returningContactDays: z.number().int().min(0).max(90).default(14),
  autoReplies: z.strictObject({
    welcome: autoReplyText, outOfHours: autoReplyText, safety: autoReplyText, optOut: autoReplyText, optIn: autoReplyText,
    /**
     * The safety reply while the service is closed: it must not promise a reply the rota will not
     * give tonight. Absent, `safety` goes at every hour.
     */
    safetyOutOfHours: autoReplyText.optional(),
    /** A further message in a high-risk conversation nobody has answered yet (see holdingReplyIntervalMinutes). */
    holding: autoReplyText.default(DEFAULT_HOLDING_REPLY),
    /** The answer to a photo, voice note, file, location or contact card on a channel that carries them: Lamplight reads only text. */
    textOnly: autoReplyText.default(DEFAULT_TEXT_ONLY_REPLY),
  }),
  /** WhatsApp settings beyond the phone-number id in `channels`. */
  whatsapp: z.strictObject({ replyTemplate: replyTemplateSchema.optional() }).optional(),
  webchat: webchatSchema.optional(),
  escalation: z.strictObject({
    inHours: ladderSchema,
    outOfHours: ladderSchema,
    /** How many times the whole ladder is climbed before the final alert. */
    rounds: z.number().int().min(1).max(5).default(2),
    /** Who gets the final alert when nobody has acknowledged. */
    fallback: z.array(recipient).min(1),
    /** The duty-lead Teams channel id (19:...@thread.tacv2) where the bot posts escalation cards. */
    teamsChannel: z.string().regex(/^19:[^\s]+$/, 'must be a Teams channel id like 19:...@thread.tacv2').optional(),
    /**
     * Besides the tab and Teams, each ladder step alerts the people it names by text to their work
     * mobile (from the service's SMS number, or `alertSmsFrom`) and by email (when SMTP_URL is set).
     */
    alertBy: z.array(z.enum(['sms', 'email'])).max(2).refine((m) => new Set(m).size === m.length, 'each of sms and email at most once').default(['sms', 'email']),
    /** The number alerts by text come from, when it is not the service's own SMS number (E.164). */
    alertSmsFrom: z.string().regex(/^\+[1-9]\d{7,14}$/, 'must be a number in E.164 form, like +447700900123').optional(),
  }),
  /**
   * How long a person's records with this service are kept after their last conversation here
   * closed (NHS Records Management Code of Practice 2021, updated 2023, Appendix II): `children`
   * until the 25th birthday (the 26th if 17 when treatment ended), `adults` 8 years, `mental-health`
   * 20 years. Lamplight does not know a contact's age, so children's services state the youngest
   * age they see (`youngestAge`), and records are kept until such a contact would turn 25. Required:
   * a service's information governance lead decides it, not a default.
   */
  retention: z.strictObject({
    records: z.enum(['children', 'adults', 'mental-health']),
    youngestAge: z.number().int().min(0).max(17).optional(),
  }).refine((r) => (r.records === 'children') === (r.youngestAge !== undefined), 'children\'s records need youngestAge (the youngest age the service sees: Lamplight does not know a contact\'s age); adults and mental-health records take none'),
  /** Reply templates: typing "/" in the reply box opens them. */
  templates: z.array(z.strictObject({ id: z.string().regex(/^[a-z0-9-]+$/), title: z.string().trim().min(1).max(60), text: z.string().trim().min(1).max(4096) })).default([]),
  /** Lexicon entries this service adds to the shared triage lexicon (same shape as triage/lexicon.yaml entries). */
  triageAdditions: z.array(z.unknown()).default([]),
});

export const DEFAULT_OUTCOMES = ['advice-given', 'signposted', 'appointment-booked', 'referred', 'safeguarding-referral', 'no-response', 'duplicate', 'other'];

const configSchema = z.strictObject({
  organisation: z.string().trim().min(1),
  /** Outcome codes a conversation is closed with (for reporting). */
  outcomes: z.array(z.string().regex(/^[a-z0-9-]+$/)).min(1).default(DEFAULT_OUTCOMES),
  defaults: z.strictObject({ autoReplyIntervalMinutes: z.number().int().positive().default(720) }).default({ autoReplyIntervalMinutes: 720 }),
  services: z.array(serviceSchema).min(1, 'at least one service is needed'),
  /** What is kept beyond each service's records: see DEFAULT_GOVERNANCE. */
  governance: z.strictObject({
    /** Years the audit trail is kept; at least a year longer than the longest service retention (default: exactly that). */
    auditYears: z.number().int().min(1).max(100).optional(),
    /** Days web chat's delivery buffer is kept after the chat was last active (the messages themselves stay with the conversation). */
    webchatBufferDays: z.number().int().min(1).max(3650).default(30),
  }).default({ webchatBufferDays: 30 }),
}).superRefine((config, ctx) => {
  const longest = Math.max(...config.services.map((s) => retentionYears(s.retention)));
  if (config.governance.auditYears !== undefined && config.governance.auditYears <= longest) {
    ctx.addIssue({ code: 'custom', path: ['governance', 'auditYears'], message: `must be longer than the longest service retention (${longest} years): the audit trail outlives what it describes` });
  }
  const seen = new Map<string, number>();
  config.services.forEach((service, index) => {
    const keys = [`slug ${service.slug}`];
    if (service.channels.sms) keys.push(`SMS number ${service.channels.sms}`);
    if (service.channels.whatsapp) keys.push(`WhatsApp phone-number id ${service.channels.whatsapp}`);
    if (service.channels.webchat) keys.push(`web chat slug ${service.channels.webchat}`);
    for (const key of keys) {
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['services', index], message: `duplicate ${key} (also used by services[${first}])` });
      } else seen.set(key, index);
    }
    if (!service.urgentReplyPromise) {
      for (const [name, text] of Object.entries(service.autoReplies)) {
        if (typeof text === 'string' && text.includes('{urgentReplyPromise}')) {
          ctx.addIssue({ code: 'custom', path: ['services', index, 'autoReplies', name], message: 'uses {urgentReplyPromise}, but the service sets no urgentReplyPromise' });
        }
      }
    }
    if (service.whatsapp && !service.channels.whatsapp) {
      ctx.addIssue({ code: 'custom', path: ['services', index, 'whatsapp'], message: 'WhatsApp settings need channels.whatsapp (the phone-number id) as well' });
    }
    if (service.webchat && !service.channels.webchat) {
      ctx.addIssue({ code: 'custom', path: ['services', index, 'webchat'], message: 'web chat settings need channels.webchat (the chat page\'s address) as well' });
    }
    const limit = replyLimitOf(service.channels);
    service.templates.forEach((template, t) => {
      if (template.text.length > limit) ctx.addIssue({ code: 'custom', path: ['services', index, 'templates', t, 'text'], message: `is ${template.text.length} characters; a reply on this service's channels can be at most ${limit}` });
    });
    if (!DAYS.some((d) => (service.hours[d] ?? []).length > 0)) {
      ctx.addIssue({ code: 'custom', path: ['services', index, 'hours'], message: 'the service must be open at some time in the week' });
    }
  });
});

/** The longest reply every one of these channels takes (a reply snippet must fit them all). */
function replyLimitOf(channels: Partial<Record<ChannelName, string>>): number {
  const limits = [...REPLY_TEXT_LIMITS].filter(([channel]) => channels[channel] !== undefined).map(([, limit]) => limit);
  return limits.length ? Math.min(...limits) : Math.min(...REPLY_TEXT_LIMITS.values());
}

export type ServiceConfig = z.infer<typeof serviceSchema> & { organisation: string; autoReplyIntervalMinutes: number };
export type RetentionRule = ServiceConfig['retention'];
export interface GovernanceConfig { auditYears: number; webchatBufferDays: number }
export interface LamplightConfig {
  organisation: string;
  outcomes: string[];
  services: ServiceConfig[];
  governance: GovernanceConfig;
}

/**
 * Whole years a person's records with a service are kept after their last conversation there
 * closed. Children's: until the youngest contact the service sees would turn 25 (26 when that age
 * is 17, the Code's rule for someone 17 when treatment ended).
 */
export function retentionYears(rule: RetentionRule): number {
  if (rule.records === 'adults') return 8;
  if (rule.records === 'mental-health') return 20;
  const youngest = rule.youngestAge ?? 0;
  return youngest >= 17 ? 26 - youngest : 25 - youngest;
}

export class ConfigError extends Error {
  constructor(source: string, problems: string[]) {
    super(`The services config ${source} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const DEMO_CONFIG_PATH = resolve(__dirname, '..', '..', '..', 'config', 'demo.services.yaml');

export function parseConfig(text: string, source: string): LamplightConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError(source, [`not readable as YAML: ${(error as Error).message}`]);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(source, result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`));
  }
  const { organisation, defaults, services, outcomes, governance } = result.data;
  const longest = Math.max(...services.map((s) => retentionYears(s.retention)));
  return {
    organisation,
    outcomes,
    governance: { auditYears: governance.auditYears ?? longest + 1, webchatBufferDays: governance.webchatBufferDays },
    services: services.map((s) => ({ ...s, organisation, autoReplyIntervalMinutes: s.autoReplyIntervalMinutes ?? defaults.autoReplyIntervalMinutes })),
  };
}

export function loadConfig(path = DEMO_CONFIG_PATH): LamplightConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot be read: ${(error as Error).message}`]);
  }
  return parseConfig(text, path);
}

function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** Where each channel address leads: the one place adapters ask "which service is this?". */
export class ServiceDirectory {
  private readonly byEndpoint = new Map<string, ServiceConfig>();
  private readonly bySlug = new Map<string, ServiceConfig>();

  /** `sourcePath`: the file the config was read from, when it came from one (the admin screen names it). */
  constructor(readonly config: LamplightConfig, readonly sourcePath?: string) {
    for (const service of config.services) {
      this.bySlug.set(service.slug, service);
      if (service.channels.sms) this.byEndpoint.set(`sms:${service.channels.sms}`, service);
      if (service.channels.whatsapp) this.byEndpoint.set(`whatsapp:${service.channels.whatsapp}`, service);
      if (service.channels.webchat) this.byEndpoint.set(`webchat:${service.channels.webchat}`, service);
    }
  }

  byAddress(channel: string, address: string): ServiceConfig | undefined {
    return this.byEndpoint.get(`${channel}:${address}`);
  }

  bySlugOrUndefined(slug: string): ServiceConfig | undefined {
    return this.bySlug.get(slug);
  }

  get services(): ServiceConfig[] {
    return this.config.services;
  }
}
