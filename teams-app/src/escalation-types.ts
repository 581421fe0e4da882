import type { EscalationInfo } from './types';

/**
 * An escalation as the clinician API describes it (GET /api/v1/escalations, bot/escalation/view.ts):
 * who holds it now, who was alerted and how, what the ladder does next, and who acknowledged it
 * with what was done. The one shape is types.ts's EscalationInfo (the conversation's banner reads
 * the same); these are the escalations screen's names for it and its parts.
 *
 * - `status` `exhausted`: the ladder ran out and the final alert went, and still nobody has acknowledged.
 * - `rounds.reached` is 0 before the first alert; `holder` is null before it (the last level alerted after).
 * - `nextStep` is null once acknowledged or exhausted; `acknowledgement.outcome` is null when it
 *   was acknowledged from the Teams card, which asks for none.
 */
export type EscalationItem = EscalationInfo;
export type EscalationStatus = EscalationItem['status'];
/** The last ladder level alerted: level 0 with `final` for the fallback contacts; `label` e.g. 'Level 2: duty leads, admins'. */
export type EscalationHolder = NonNullable<EscalationItem['holder']>;
/** One alert sent: `to` names the people, `routes` how it reached them ('tab', 'Teams channel (sent)'). */
export type EscalationAlert = EscalationItem['alerts'][number];

export type EscalationFilter = 'open' | 'acknowledged' | 'all';
