/** "3 min", "2 h 5 min", "4 days". */
function duration(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  return minutes < 60 ? `${minutes} min` : minutes < 48 * 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${Math.floor(minutes / 1440)} days`;
}

/**
 * How long the service user has waited for a person, against the service's reply promise (the
 * urgent one for a flagged conversation), and the countdown to it: "reply due in 12 min", or
 * "reply overdue by 3 min".
 */
export function waiting(since: string | null, dueBy: string | null, now = Date.now()): { label: string; due?: string; state: 'ok' | 'near' | 'late' } | null {
  if (!since) return null;
  const waited = now - Date.parse(since);
  const label = duration(waited);
  if (!dueBy) return { label, state: 'ok' };
  const due = Date.parse(dueBy);
  const total = due - Date.parse(since);
  const state = now >= due ? 'late' : waited >= total * 0.75 ? 'near' : 'ok';
  return { label, state, due: now >= due ? `reply overdue by ${duration(now - due)}` : `reply due in ${duration(due - now + 59_999)}` };
}
