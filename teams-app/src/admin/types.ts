/** What the admin API answers (bot/http/admin-routes.ts, bot/audit/trail.ts): the admin screens' own types. */
export interface AuditEvent {
  seq: number; id: string; at: string; actorType: string; actorId: string | null; actorName: string | null; action: string;
  subjectType: string; subjectId: string | null; services: string[]; outcome: 'ok' | 'denied'; detail: Record<string, unknown> | null; hash: string;
}
export interface AuditPage { events: AuditEvent[]; nextCursor: string | null }

export interface OutboxRow {
  id: string; conversationId: string; service: string; serviceName: string; channel: string; kind: 'clinician' | 'template' | 'auto-reply' | 'notice';
  status: string; attempts: number; lastError: string | null; errorCode: string | null; contactLabel: string | null;
  createdAt: string; updatedAt: string; nextAttemptAt: string | null; retryable: boolean;
}
export interface OutboxList { state: 'failed' | 'delayed'; delayedAfterMinutes: number; total: number; items: OutboxRow[] }

export interface StaffMembership { id: string; serviceSlug: string; serviceName: string; role: string; since: string }
export interface StaffPerson { id: string; name: string; email: string; memberships: StaffMembership[] }
export interface StaffList { services: { slug: string; name: string }[]; roles: string[]; staff: StaffPerson[] }

interface Ladder { acknowledgeWithinMinutes: number; levels: string[][] }
export interface ServiceSettings {
  slug: string; name: string; audience: string; timeZone: string;
  hours: Record<string, string[]>; bankHolidays: string; upcomingBankHolidays: { date: string; name: string }[]; closures: string[];
  replyPromise: { minutes: number; wording: string }; urgentReplyPromise: { minutes: number; wording: string } | null;
  retention: { records: 'children' | 'adults' | 'mental-health'; youngestAge: number | null; years: number };
  autoReplyIntervalMinutes: number; safetyReplyIntervalMinutes: number; holdingReplyIntervalMinutes: number;
  autoReplies: Record<string, string | null>;
  templates: { id: string; title: string; text: string }[];
  escalation: { inHours: Ladder; outOfHours: Ladder; rounds: number; fallback: string[]; teamsChannelSet: boolean };
  channels: {
    sms: string | null;
    whatsapp: { phoneNumberId: string; replyTemplate: { name: string; language: string; body: string | null } | null } | null;
    webchat: { slug: string; answeredBy: string | null; exitUrl: string | null; embedOrigins: string[] } | null;
  };
}
export interface ServicesSettings {
  source: { env: string; defaultPath: string; check: string; loaded: string | null };
  organisation: string; outcomes: string[]; timeZone: string; services: ServiceSettings[];
}
