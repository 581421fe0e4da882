import { Badge, Button, Field, Input, MessageBar, MessageBarBody, Select, Spinner, Text } from '@fluentui/react-components';
import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../api';
import type { Services } from '../types';
import { dateTime } from '../format';
import type { AuditEvent, AuditPage, StaffList } from './types';
import { londonDayStart, ScrollRegion, useAdminStyles } from './shared';

const PAGE_SIZE = 25;
const ACTOR_TYPES = [['system', 'Lamplight (system)'], ['operator', 'Operator (CLI)'], ['anonymous', 'Not signed in']] as const;

interface Filters { service: string; actor: string; action: string; subject: string; outcome: string; from: string; to: string }
const NO_FILTERS: Filters = { service: '', actor: '', action: '', subject: '', outcome: '', from: '', to: '' };

/** The filters as the audit API takes them (bot/audit/trail.ts auditQueryFrom); dates are London days, `to` inclusive. */
function queryOf(f: Filters): URLSearchParams {
  const q = new URLSearchParams();
  if (f.service) q.set('service', f.service);
  if (f.actor) q.set('actor', f.actor);
  if (f.action.trim()) q.set('action', f.action.trim());
  if (f.subject.trim()) q.set('subject', f.subject.trim());
  if (f.outcome) q.set('outcome', f.outcome);
  if (f.from) q.set('from', londonDayStart(f.from));
  if (f.to) q.set('to', londonDayStart(f.to, 1));
  return q;
}

/** Who did it, by name: a person's name, or what kind of actor it was. */
function actorLabel(e: AuditEvent): string {
  if (e.actorName) return e.actorName;
  if (e.actorType === 'staff') return 'A former member of staff';
  return ACTOR_TYPES.find(([t]) => t === e.actorType)?.[1] ?? e.actorType;
}

function detailText(detail: Record<string, unknown> | null): string {
  if (!detail) return '';
  return Object.entries(detail).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
}

/** The audit trail of the services where the reader is an admin: filters, pages, CSV. */
export function AuditViewer({ api, services, onOpenConversation }: { api: Api; services: Services; onOpenConversation: (id: string) => void }) {
  const styles = useAdminStyles();
  const adminOf = services.mine.filter((s) => s.role === 'admin');
  const serviceName = new Map(services.all.map((s) => [s.slug, s.name]));
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [applied, setApplied] = useState<Filters>(NO_FILTERS);
  // The cursors of the pages before this one: Previous goes back one.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<AuditPage>();
  const [people, setPeople] = useState<{ id: string; name: string }[]>([]);
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(false);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    api.get<StaffList>('/admin/staff').then((l) => setPeople(l.staff.map((p) => ({ id: p.id, name: p.name }))), () => setPeople([]));
  }, [api]);

  const load = useCallback(() => {
    const q = queryOf(applied);
    q.set('limit', String(PAGE_SIZE));
    if (cursor) q.set('cursor', cursor);
    setLoading(true);
    api.get<AuditPage>(`/audit?${q}`).then((p) => { setPage(p); setError(undefined); }, (e: Error) => setError(e.message)).finally(() => setLoading(false));
  }, [api, applied, cursor]);
  useEffect(load, [load]);

  const set = (key: keyof Filters) => (value: string) => setDraft((d) => ({ ...d, [key]: value }));
  const apply = () => { setApplied(draft); setCursors([undefined]); };
  const clear = () => { setDraft(NO_FILTERS); setApplied(NO_FILTERS); setCursors([undefined]); };
  const download = () => api.download(`/api/v1/audit.csv?${queryOf(applied)}`, 'lamplight-audit.csv').catch((e: Error) => setError(e.message));

  return (
    <section className={styles.stack} aria-label="Audit trail">
      <Text as="h2" size={500} weight="semibold">Audit trail</Text>
      <Text size={200} className={styles.muted}>Who read or changed what, in the services where you are an admin, newest first. Times are UK time. Reading this is itself recorded.</Text>
      <form className={styles.row} aria-label="Audit filters" onSubmit={(e) => { e.preventDefault(); apply(); }}>
        <Field label="Service" className={styles.filter}>
          <Select value={draft.service} onChange={(_, d) => set('service')(d.value)}>
            <option value="">All my services</option>
            {adminOf.map((s) => <option key={s.slug} value={s.slug}>{s.name}</option>)}
          </Select>
        </Field>
        <Field label="Who" className={styles.filter}>
          <Select value={draft.actor} onChange={(_, d) => set('actor')(d.value)}>
            <option value="">Anyone</option>
            {people.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
            {ACTOR_TYPES.map(([t, label]) => <option key={t} value={t}>{label}</option>)}
          </Select>
        </Field>
        <Field label="Action" className={styles.filter}><Input value={draft.action} placeholder="e.g. conversation.read" onChange={(_, d) => set('action')(d.value)} /></Field>
        <Field label="Subject id" className={styles.filter}><Input value={draft.subject} onChange={(_, d) => set('subject')(d.value)} /></Field>
        <Field label="Outcome" className={styles.filter}>
          <Select value={draft.outcome} onChange={(_, d) => set('outcome')(d.value)}>
            <option value="">Any</option>
            <option value="ok">Allowed</option>
            <option value="denied">Refused</option>
          </Select>
        </Field>
        <Field label="From (UK date)" className={styles.filter}><Input type="date" value={draft.from} onChange={(_, d) => set('from')(d.value)} /></Field>
        <Field label="To (UK date, inclusive)" className={styles.filter}><Input type="date" value={draft.to} onChange={(_, d) => set('to')(d.value)} /></Field>
        <Button appearance="primary" type="submit">Apply filters</Button>
        <Button type="button" onClick={clear}>Clear</Button>
        <Button type="button" onClick={download}>Download CSV</Button>
      </form>
      {error && <MessageBar intent="error" layout="multiline"><MessageBarBody>{error}</MessageBarBody></MessageBar>}
      {!page && loading && <Spinner size="small" label="Loading the audit trail…" />}
      {page && (
        <ScrollRegion label="Audit events">
          <table className={styles.table}>
            <caption className={styles.muted} style={{ textAlign: 'left', padding: '6px 8px' }}>
              Page {cursors.length}: {page.events.length === 0 ? 'no events' : `${page.events.length} event${page.events.length === 1 ? '' : 's'}`}
            </caption>
            <thead>
              <tr>{['When', 'Who', 'Action', 'Subject', 'Services', 'Outcome', 'Detail'].map((h) => <th key={h} scope="col" className={styles.th}>{h}</th>)}</tr>
            </thead>
            <tbody>
              {page.events.map((e) => (
                <tr key={e.id} data-audit-event={e.seq}>
                  <td className={`${styles.td} ${styles.nowrap}`}>{dateTime(e.at)}</td>
                  <td className={styles.td}>{actorLabel(e)}</td>
                  <td className={`${styles.td} ${styles.code}`}>{e.action}</td>
                  <td className={styles.td}>
                    {e.subjectType}{e.subjectId ? <span className={styles.code}> {e.subjectId.slice(0, 8)}</span> : null}
                    {e.subjectType === 'conversation' && e.subjectId && <> <Button size="small" appearance="transparent" onClick={() => onOpenConversation(e.subjectId!)} aria-label={`Open conversation ${e.subjectId.slice(0, 8)}`}>Open</Button></>}
                  </td>
                  <td className={styles.td}>{e.services.map((s) => serviceName.get(s) ?? s).join(', ')}</td>
                  <td className={styles.td}>{e.outcome === 'denied' ? <Badge color="danger" appearance="tint">Refused</Badge> : 'Allowed'}</td>
                  <td className={`${styles.td} ${styles.code}`}>{detailText(e.detail)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
      <nav className={styles.row} aria-label="Audit pages">
        <Button disabled={cursors.length <= 1 || loading} onClick={() => setCursors((c) => c.slice(0, -1))}>Previous page</Button>
        <Button disabled={!page?.nextCursor || loading} onClick={() => page?.nextCursor && setCursors((c) => [...c, page.nextCursor!])}>Next page</Button>
      </nav>
    </section>
  );
}
