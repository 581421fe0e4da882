/** How long the service user has waited for a person, against the service's reply promise. */
export function waiting(since: string | null, dueBy: string | null, now = Date.now()): { label: string; state: 'ok' | 'near' | 'late' } | null {
  if (!since) return null;
  const waited = now - Date.parse(since);
  const minutes = Math.max(0, Math.floor(waited / 60_000));
  const label = minutes < 60 ? `${minutes} min` : minutes < 48 * 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${Math.floor(minutes / 1440)} days`;
  if (!dueBy) return { label, state: 'ok' };
  const total = Date.parse(dueBy) - Date.parse(since);
  const state = now >= Date.parse(dueBy) ? 'late' : waited >= total * 0.75 ? 'near' : 'ok';
  return { label, state };
}
