export type Risk = 'none' | 'medium' | 'high';
export interface Summary {
  id: string; service: string; serviceName: string; channel: string; status: 'open' | 'closed'; riskLevel: Risk; escalated: boolean;
  assignedTo: { id: string; name: string | null } | null; contactLabel: string | null; unread: boolean; recorded: boolean; outcome: string | null;
  createdAt: string; lastMessageAt: string; awaitingReplySince: string | null; replyDueBy: string | null;
  /** The first line of the newest message from the young person, as text (list rows only). */
  preview?: string | null;
  /** The risk categories that set the conversation's level (list rows only). */
  riskCategories?: string[];
  /** A message to the young person failed (list rows only); `held`: a reply that holds the ones after it. */
  undelivered?: { held: boolean } | null;
  /** A search's match: the words around it. */
  match?: { messageId: string; snippet: string } | null;
}
/** What a search asks: every field optional, as the API's query string. */
export interface SearchParams { q?: string; number?: string; from?: string; to?: string; risk?: string; status?: string; service?: string }
export interface SearchResult { conversations: Summary[]; complete: boolean; scanned: { conversations: number; messages: number } }
export interface Reason { category: string; level: Risk; phrase: string; start: number; end: number; why?: string; also?: { phrase: string; start: number; end: number }[] }
export interface Msg {
  id: string; direction: 'in' | 'out'; authorKind: 'contact' | 'clinician' | 'auto' | 'system'; authorName: string | null; autoReplyKind: string | null;
  text: string; createdAt: string; risk: { level: Risk; reasons: Reason[] } | null;
  /** holdsLater: a reply that failed after the whole retry window; the replies after it wait for it. */
  delivery: { status: string; attempts: number; providerStatus: string | null; lastError: string | null; template?: string | null; holdsLater?: boolean } | null;
}
export interface Detail extends Summary {
  contact: { id: string; channel: string; address: string; consent: string; blocked: boolean };
  /** What the team had read before this opening: the thread opens at the first message after it. */
  readUpTo: string | null;
  /** The newest escalation (the banner's), and every one newest first (the thread's). */
  escalation: EscalationInfo | null;
  escalations: EscalationInfo[];
  /** The longest reply the channel takes now, and a reply window (WhatsApp) when the channel has one. */
  reply: {
    maxLength: number;
    window: { open: boolean; closesAt: string | null; template: string | null; preview: string | null } | null;
    /** Web chat: whether the young person's chat page is open now. */
    page: { open: boolean; lastSeenAt: string | null } | null;
  };
  messages: Msg[];
  /** More messages before these: ask again with `?before=` this cursor. */
  olderMessages: { before: string } | null;
  notes: { id: string; kind: string; authorName: string | null; text: string; createdAt: string }[];
  history: { id: string; service: string; status: string; riskLevel: Risk; outcome: string | null; createdAt: string; closedAt: string | null }[];
}
export interface Counts { escalated: number; unassigned: number; mine: number; open: number; unread: number; notRecorded: number }
export interface ServiceInfo {
  slug: string; name: string; role: string; replyPromiseMinutes: number; replyPromise: string;
  templates: { id: string; title: string; text: string }[]; colleagues: { id: string; name: string; role: string }[];
  /** The Teams channel its escalation cards go to: linked there by a command, or set in the config; null if none. */
  dutyLeadChannel?: { channelId: string; channelName: string | null; teamName: string | null; source: 'command' | 'config'; linkedBy: string | null; linkedAt: string | null } | null;
}
/** Whether Lamplight can message me in Teams (the app installed for me), and whether I muted the non-urgent notices. */
export interface NoticeSettings { personalChat: boolean; muteNonUrgent: boolean }
export interface Services { outcomes: string[]; riskClearReasons: { code: string; words: string }[]; all: { slug: string; name: string }[]; mine: ServiceInfo[] }
export interface Me { id: string; email: string; name: string; memberships: { serviceSlug: string; role: string }[]; teamsNotices?: NoticeSettings; escalationAlerts?: AlertSettings }
/** One way a ladder step reached someone (bot/escalation/view.ts AlertDelivery). */
export interface AlertDelivery {
  route: 'teams-channel' | 'teams-chat' | 'sms' | 'email';
  to: string | null;
  status: 'pending' | 'sending' | 'sent' | 'delivered' | 'failed' | 'cancelled' | 'retrying' | 'skipped';
  problem: string | null;
}
/** My escalation alerts by text and email (bot/escalation/staff-alerts.ts AlertSettings). */
export interface AlertSettings { onLadder: boolean; workMobile: string | null; bySms: boolean; byEmail: boolean; email: string }
/** An escalation as the server describes it (bot/escalation/view.ts). */
export interface EscalationInfo {
  id: string; conversationId: string; service: string; serviceName: string; status: 'open' | 'exhausted' | 'acknowledged';
  categories: string[]; riskLevel: Risk; contactLabel: string | null; raisedAt: string; messageCount: number;
  rounds: { reached: number; of: number };
  holder: { level: number; final: boolean; label: string; names: string[] } | null;
  alerts: { at: string; level: number; round: number; final: boolean; to: string[]; routes: string[]; deliveries?: AlertDelivery[] }[];
  /** Alerts to people that failed. */
  undelivered?: number;
  nextStep: { at: string; description: string } | null;
  acknowledgement: { by: string | null; at: string; outcome: string | null } | null;
}

/** A report as the server gives it (bot/reports/reports.ts Report). */
export interface ReportInfo {
  services: { slug: string; name: string }[];
  from: string; to: string; bucket: 'day' | 'week' | 'month'; zone: string;
  totals: { conversations: number; inbound: number; outbound: number; highRisk: number; mediumRisk: number; escalations: number; repeatContacts: number; optOuts: number; answeredOutOfHours: number };
  byChannel: { channel: string; inbound: number; outbound: number; failed: number }[];
  firstReply: { count: number; median: number | null; p90: number | null; worst: number | null; withinPromise: number | null; unanswered: number };
  escalations: { raised: number; acknowledged: number; timeToAcknowledge: { count: number; median: number | null; p90: number | null; worst: number | null }; roundsReached: { round: number; escalations: number }[]; finalAlerts: number };
  deliveryFailures: { channel: string; failed: number }[];
  series: { bucket: string; start: string; conversations: number; inbound: number; outbound: number; highRisk: number; escalations: number }[];
  busiestHours: { weekday: string; hours: number[] }[];
}
