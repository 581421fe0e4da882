/**
 * An escalation as the clinician API describes it (GET /api/v1/escalations): who holds it now, who
 * was alerted and how, what the ladder does next, and who acknowledged it with what was done.
 * Kept apart from types.ts so the escalations screen and the conversation banner share one shape.
 */
export type EscalationStatus = 'open' | 'exhausted' | 'acknowledged';

/** The last ladder level alerted: the people who hold the escalation now. */
export interface EscalationHolder {
  /** 1-based ladder level; 0 with `final` for the final alert to the fallback contacts. */
  level: number;
  final: boolean;
  /** The level in words, e.g. 'Level 2: duty leads, admins', 'Final alert: admins'. */
  label: string;
  /** The people alerted at that level. */
  names: string[];
}

export interface EscalationAlert {
  at: string;
  level: number;
  round: number;
  final: boolean;
  /** Names of the people alerted. */
  to: string[];
  /** How it reached them, e.g. 'tab', 'Teams channel (sent)'. */
  routes: string[];
}

export interface EscalationItem {
  id: string;
  conversationId: string;
  service: string;
  serviceName: string;
  /** `exhausted`: the ladder ran out and the final alert went, and still nobody has acknowledged. */
  status: EscalationStatus;
  /** Risk category codes, e.g. 'suicide', 'self-harm'. */
  categories: string[];
  /** The conversation's risk level now. */
  riskLevel: 'none' | 'medium' | 'high';
  /** Masked, e.g. '•••• 0555'. */
  contactLabel: string | null;
  raisedAt: string;
  /** High-risk messages joined to it. */
  messageCount: number;
  /** The ladder round reached (0 before the first alert), of the configured rounds. */
  rounds: { reached: number; of: number };
  /** Null before the first alert. */
  holder: EscalationHolder | null;
  /** Every alert sent, oldest first. */
  alerts: EscalationAlert[];
  /** Null when acknowledged or exhausted. */
  nextStep: { at: string; description: string } | null;
  /** `outcome` is null when it was acknowledged from the Teams card, which asks for none. */
  acknowledgement: { by: string | null; at: string; outcome: string | null } | null;
}

export type EscalationFilter = 'open' | 'acknowledged' | 'all';
