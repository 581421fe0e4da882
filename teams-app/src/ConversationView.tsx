import {
  Link,
  Badge, Button, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, Field, makeStyles, MessageBar, MessageBarBody,
  Select, Text, Textarea, tokens,
} from '@fluentui/react-components';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Api, ApiError } from './api';
import { channelName, contactName, date, dateTime } from './format';
import { SafeText } from './SafeText';
import { OUTBOUND_CONTROLS, ReplySize, replySize } from './segments';
import { holderLine, routeWords } from './Escalations';
import type { Detail, EscalationInfo, Me, Msg, Reason, Services } from './types';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: '10px', minWidth: 0 },
  header: { display: 'flex', gap: '8px', alignItems: 'center', flexWrap: 'wrap' },
  actions: { display: 'flex', gap: '6px', flexWrap: 'wrap' },
  thread: { listStyle: 'none', margin: 0, padding: '8px', display: 'flex', flexDirection: 'column', gap: '8px', maxHeight: '46vh', overflowY: 'auto', border: `1px solid ${tokens.colorNeutralStroke2}`, borderRadius: tokens.borderRadiusMedium },
  bubble: { maxWidth: '80%', padding: '8px 10px', borderRadius: tokens.borderRadiusLarge, display: 'grid', gap: '4px' },
  inbound: { alignSelf: 'flex-start', backgroundColor: tokens.colorNeutralBackground3 },
  outbound: { alignSelf: 'flex-end', backgroundColor: tokens.colorBrandBackground2 },
  auto: { alignSelf: 'flex-end', backgroundColor: tokens.colorNeutralBackground4, fontStyle: 'italic' },
  meta: { fontSize: tokens.fontSizeBase200, color: tokens.colorNeutralForeground2 },
  composer: { display: 'grid', gap: '6px' },
  picker: { listStyle: 'none', margin: 0, padding: '4px', border: `1px solid ${tokens.colorNeutralStroke1}`, borderRadius: tokens.borderRadiusMedium, backgroundColor: tokens.colorNeutralBackground1 },
  option: { padding: '4px 6px', cursor: 'pointer', borderRadius: tokens.borderRadiusSmall },
  active: { backgroundColor: tokens.colorNeutralBackground1Selected, outline: `1px solid ${tokens.colorBrandStroke1}` },
  side: { display: 'grid', gap: '4px' },
  history: { margin: 0, paddingLeft: '18px', display: 'grid', gap: '2px', fontSize: tokens.fontSizeBase200 },
  reasons: { margin: 0, paddingLeft: '18px', fontSize: tokens.fontSizeBase200, color: tokens.colorNeutralForeground1 },
  event: { alignSelf: 'center', maxWidth: '90%', backgroundColor: tokens.colorNeutralBackground1, border: `1px dashed ${tokens.colorNeutralStroke1}` },
});

const RANK = { none: 0, medium: 1, high: 2 } as const;

const DIALOG_TITLES = { close: 'Close conversation', transfer: 'Transfer to another service', clear: 'Clear the risk flag', reopen: 'Reopen conversation', acknowledge: 'Acknowledge the escalation' } as const;
const DIALOG_ACTIONS = { close: 'Close', transfer: 'Transfer', clear: 'Clear the flag', reopen: 'Reopen', acknowledge: 'Acknowledge' } as const;
/** Notes that record an action, shown in the thread where it happened. */
const THREAD_NOTE_KINDS = new Set(['risk-cleared', 'closed', 'reopened', 'transfer', 'acknowledged', 'system']);

type Alert = EscalationInfo['alerts'][number];
type ThreadEntry = { message?: Msg; note?: Detail['notes'][number]; alert?: Alert & { key: string } };
/** Messages, and the actions taken on the conversation (who cleared a flag, closed, reopened), in time order. */
function threadItems(detail: Detail): ThreadEntry[] {
  const entries: [number, ThreadEntry][] = [
    ...detail.messages.map((m): [number, ThreadEntry] => [Date.parse(m.createdAt), { message: m }]),
    ...detail.notes.filter((n) => THREAD_NOTE_KINDS.has(n.kind)).map((n): [number, ThreadEntry] => [Date.parse(n.createdAt), { note: n }]),
    // Each alert the ladder sent, where it happened; acknowledgements are notes, above.
    ...(detail.escalations ?? []).flatMap((e) => e.alerts.map((a, i): [number, ThreadEntry] => [Date.parse(a.at), { alert: { ...a, key: `${e.id}:${i}` } }])),
  ];
  return entries.sort((a, b) => a[0] - b[0]).map(([, e]) => e);
}

/** Who was alerted, in a sentence: "Level 2 alert (round 1) to Alex Morgan, Dev Admin, in the Lamplight tab and the Teams channel (sent)." */
function alertWords(a: Alert): string {
  const to = a.to.length ? a.to.join(', ') : 'nobody (no one holds that role)';
  return `${a.final ? 'Final alert' : `Level ${a.level} alert (round ${a.round})`} to ${to}, in ${routeWords(a.routes)}.`;
}

/** The banner says who holds an escalation now, not "the duty lead" after the ladder has climbed past them. */
export function escalationBanner(e: EscalationInfo): string {
  const held = e.holder ? `Held by ${holderLine(e.holder)}` : 'Not yet alerted';
  const sent = `${e.alerts.length} alert${e.alerts.length === 1 ? '' : 's'} sent`;
  if (e.status === 'exhausted') return `Escalated: final alert sent, still not acknowledged. ${held}; ${sent}.`;
  return `Escalated. ${held}; ${sent}${e.nextStep ? `; next: ${e.nextStep.description.replace(/ if not acknowledged$/, '')} at ${dateTime(e.nextStep.at)} if nobody acknowledges` : ''}.`;
}

/** Earlier pages above the newest one, each message once (the newest page may overlap what was fetched before it grew). */
function withOlder(older: Msg[], newest: Msg[]): Msg[] {
  const seen = new Set(older.map((m) => m.id));
  return [...older, ...newest.filter((m) => !seen.has(m.id))];
}

/** Where a conversation opens: its first unread message, or its highest-risk one if earlier. */
export function openingMessage(detail: Detail): string | undefined {
  const readUpTo = detail.readUpTo ? Date.parse(detail.readUpTo) : -Infinity;
  const firstUnread = detail.messages.findIndex((m) => m.direction === 'in' && Date.parse(m.createdAt) > readUpTo);
  const top = Math.max(0, ...detail.messages.map((m) => RANK[m.risk?.level ?? 'none']));
  const firstRisk = top > 0 ? detail.messages.findIndex((m) => RANK[m.risk?.level ?? 'none'] === top) : -1;
  const candidates = [firstUnread, firstRisk].filter((i) => i >= 0);
  return candidates.length ? detail.messages[Math.min(...candidates)].id : undefined;
}

/** Why a message was flagged, in words a screen reader reads: "High risk, overdose: ..." */
function Reasons({ reasons, className }: { reasons: Reason[]; className: string }) {
  const shown = reasons.filter((r) => r.level !== 'none');
  if (!shown.length) return null;
  return (
    <ul className={className} aria-label="Why this was flagged">
      {shown.map((r, i) => (
        <li key={i}>
          {r.level === 'high' ? 'High risk' : 'Priority'}, {r.category.replace(/-/g, ' ')}: “{r.phrase}”{r.why ? ` (${r.why})` : ''}
        </li>
      ))}
    </ul>
  );
}

/** A fresh idempotency key: 128 random bits (getRandomValues works outside secure contexts too). */
function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `reply-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** "42 characters · 1 SMS", "900 characters · 27 SMS parts (UCS-2: emoji or special characters)". */
function sizeLabel(size: ReplySize, channel: string, max: number): string {
  if (channel !== 'sms') return `${size.characters} characters (at most ${max})`;
  if (size.characters === 0) return '0 characters';
  const parts = size.segments <= 1 ? '1 SMS' : `${size.segments} SMS parts`;
  return `${size.characters} characters · ${parts}${size.encoding === 'UCS-2' && size.characters > 0 ? ' (UCS-2: emoji or special characters make each part shorter)' : ''}`;
}

function author(m: Msg): string {
  if (m.authorKind === 'contact') return 'Service user';
  if (m.authorKind === 'clinician') return m.authorName ?? 'Clinician';
  if (m.authorKind === 'auto') return `Auto-reply (${(m.autoReplyKind ?? '').replace('_', ' ')})`;
  return 'System';
}

export function ConversationView({ api, id, me, services, onChanged, onOpen }: { api: Api; id: string; me: Me; services: Services; onChanged: () => void; onOpen?: (id: string) => void }) {
  const styles = useStyles();
  const [detail, setDetail] = useState<Detail>();
  const [error, setError] = useState<string>();
  const [reply, setReply] = useState('');
  const [note, setNote] = useState('');
  const [dialog, setDialog] = useState<'close' | 'transfer' | 'clear' | 'reopen' | 'acknowledge' | undefined>();
  const [choice, setChoice] = useState('');
  const [transferNote, setTransferNote] = useState('');
  const [pickerIndex, setPickerIndex] = useState(0);
  const replyRef = useRef<HTMLTextAreaElement>(null);
  const threadRef = useRef<HTMLOListElement>(null);

  // A reload (a live update, after an action) clears only an error the last load made: a refusal
  // such as "already claimed by Jo" must not vanish when Jo's claim arrives as a live event.
  const loadFailed = useRef(false);
  const load = () => api.get<Detail>(`/conversations/${id}`).then((d) => {
    setDetail(d);
    if (loadFailed.current) setError(undefined);
    loadFailed.current = false;
  }, (e: Error) => {
    loadFailed.current = true;
    setError(e.message);
  });
  useEffect(() => { setOlder(null); void load(); }, [id]);
  // Earlier pages of a long conversation, fetched on request (the API sends the newest 500).
  const [older, setOlder] = useState<{ messages: Msg[]; before: string | null } | null>(null);
  const loadOlder = (before: string) => run(async () => {
    const page = await api.get<Detail>(`/conversations/${id}?before=${encodeURIComponent(before)}`);
    setOlder((o) => ({ messages: [...page.messages, ...(o?.messages ?? [])], before: page.olderMessages?.before ?? null }));
  });
  useEffect(() => {
    const refresh = () => void load();
    window.addEventListener('lamplight:conversation-changed', refresh);
    return () => window.removeEventListener('lamplight:conversation-changed', refresh);
  }, [id]);
  // Risk first: open the thread at the first message the team has not read, or at the
  // highest-risk message if that comes earlier; a later message that arrives scrolls to the end.
  // While a dialog is open the page behind it is inert, not only hidden from screen readers: nothing
  // behind it can take focus or a click (the dialog is portalled outside #root).
  useEffect(() => {
    const root = document.getElementById('root');
    if (!root || dialog === undefined) return;
    root.inert = true;
    return () => { root.inert = false; };
  }, [dialog]);
  const openedFor = useRef<string | undefined>(undefined);
  useEffect(() => {
    const thread = threadRef.current;
    if (!detail || !thread) return;
    if (openedFor.current === detail.id) {
      thread.scrollTo({ top: thread.scrollHeight });
      return;
    }
    openedFor.current = detail.id;
    const target = openingMessage(detail);
    const item = target ? thread.querySelector<HTMLElement>(`[data-message="${target}"]`) : null;
    if (item) {
      thread.scrollTo({ top: item.offsetTop - thread.offsetTop - 8 });
      thread.dataset.openedAt = target;
    } else {
      thread.scrollTo({ top: thread.scrollHeight });
      delete thread.dataset.openedAt;
    }
  }, [detail?.id, detail?.messages.length]);

  const service = services.mine.find((s) => s.slug === detail?.service);
  const templates = useMemo(() => {
    if (!reply.startsWith('/') || !service) return [];
    const q = reply.slice(1).toLowerCase();
    return service.templates.filter((t) => t.title.toLowerCase().includes(q) || t.id.includes(q));
  }, [reply, service]);

  const run = async (work: () => Promise<unknown>) => {
    try {
      await work();
      setError(undefined);
      await load();
      onChanged();
    } catch (e) {
      loadFailed.current = false;
      setError(e instanceof ApiError ? e.message : 'Something went wrong');
    }
  };
  // One key per reply composed: a double click, or a request retried after a lost answer, sends once.
  const replyKey = useRef(newKey());
  const [sending, setSending] = useState(false);
  const [sentNote, setSentNote] = useState<string>();
  const send = async () => {
    if (!reply.trim() || sending) return;
    setSending(true);
    try {
      await run(async () => {
        const sent = await api.post<{ removedControls?: number }>(`/conversations/${id}/messages`, { text: reply }, { 'idempotency-key': replyKey.current });
        replyKey.current = newKey();
        setReply('');
        setSentNote(sent.removedControls ? `Sent. ${sent.removedControls} invisible control character${sent.removedControls === 1 ? ' was' : 's were'} taken out first.` : undefined);
      });
    } finally {
      setSending(false);
    }
  };
  // A web chat page shows "typing" while the reply box is in use: told at most every 4 s, never waited for.
  const lastTyping = useRef(0);
  const typing = () => {
    if (detail?.channel !== 'webchat' || Date.now() - lastTyping.current < 4000) return;
    lastTyping.current = Date.now();
    api.post(`/conversations/${id}/typing`).catch(() => undefined);
  };
  const useTemplate = (text: string) => { setReply(text); setPickerIndex(0); replyRef.current?.focus(); };

  if (!detail) return <section className={styles.root} aria-label="Conversation">{error ? <MessageBar intent="error"><MessageBarBody>{error}</MessageBarBody></MessageBar> : <Text>Loading…</Text>}</section>;
  const canAck = ['duty-lead', 'admin'].includes(service?.role ?? '');
  const open = detail.status === 'open';
  const replyWindow = detail.reply.window;
  // Outside the window with no approved template nothing can go until the contact writes again.
  const replyBlocked = !!replyWindow && !replyWindow.open && !replyWindow.template;
  const staffNotes = detail.notes.filter((n) => !THREAD_NOTE_KINDS.has(n.kind));
  const flagged = detail.riskLevel !== 'none';
  const noted = transferNote.trim().length > 0;
  const dialogReady = dialog === 'close' ? !!choice && (!flagged || noted)
    : dialog === 'clear' ? !!choice && noted
      : dialog === 'reopen' || dialog === 'acknowledge' ? noted
        : !!choice && noted;
  const outgoing = replySize(reply.replace(OUTBOUND_CONTROLS, '').trim());
  const controls = [...reply.matchAll(OUTBOUND_CONTROLS)].length;
  const messageItem = (m: Msg) => (
    <li key={m.id} className={`${styles.bubble} ${m.direction === 'in' ? styles.inbound : m.authorKind === 'auto' ? styles.auto : styles.outbound}`} data-author={m.authorKind} data-message={m.id}>
      <span className={styles.meta}>{author(m)} · {dateTime(m.createdAt)}{m.risk && m.risk.level !== 'none' ? ` · ${m.risk.level} risk` : ''}</span>
      <SafeText text={m.text} reasons={m.risk?.reasons} />
      {m.risk && m.risk.level !== 'none' && <Reasons reasons={m.risk.reasons} className={styles.reasons} />}
      {m.delivery && (
        <span className={styles.meta}>
          {m.delivery.status === 'failed'
            ? <>Not delivered: {m.delivery.lastError}{m.delivery.holdsLater ? '. The replies after it wait until it goes.' : ''} <Button size="small" onClick={() => run(() => api.post(`/conversations/${id}/retry`, { messageId: m.id }))}>Retry</Button></>
            : m.delivery.status === 'pending' && m.delivery.attempts > 0 ? `Retrying (attempt ${m.delivery.attempts})` : m.delivery.status}
          {m.delivery.template && ` · ${m.delivery.status === 'pending' || m.delivery.status === 'sending' ? 'going' : 'went'} inside the approved template “${m.delivery.template}” (the 24-hour window had closed)`}
        </span>
      )}
    </li>
  );
  return (
    <section className={styles.root} aria-label="Conversation">
      <div className={styles.header}>
        <Text as="h2" size={500} weight="semibold">{contactName(detail.channel, detail.contact.address)}</Text>
        <Text>{detail.serviceName} · {channelName(detail.channel)}</Text>
        {detail.riskLevel === 'high' && <Badge color="danger" appearance="filled">High risk</Badge>}
        {detail.riskLevel === 'medium' && <Badge color="warning" appearance="filled">Priority</Badge>}
        {detail.contact.consent === 'opted_out' && <Badge color="subtle">Texted STOP</Badge>}
        {detail.contact.blocked && <Badge color="subtle">Blocked</Badge>}
        <Text size={200}>{detail.assignedTo ? `With ${detail.assignedTo.name}` : 'Unassigned'}{detail.status === 'closed' ? ` · Closed (${detail.outcome})` : ''}</Text>
      </div>
      {error && <MessageBar intent="error" role="alert"><MessageBarBody>{error}</MessageBarBody></MessageBar>}
      {detail.escalation && detail.escalation.status !== 'acknowledged' && (
        <MessageBar intent="error" data-escalation-banner><MessageBarBody>{escalationBanner(detail.escalation)} {canAck && <Button size="small" onClick={() => { setTransferNote(''); setDialog('acknowledge'); }}>Acknowledge</Button>}</MessageBarBody></MessageBar>
      )}
      <div className={styles.actions} role="toolbar" aria-label="Conversation actions">
        {open && !detail.assignedTo && <Button appearance="primary" onClick={() => run(() => api.post(`/conversations/${id}/claim`))}>Claim</Button>}
        {open && service && (
          <Select aria-label="Assign to a colleague" value="" onChange={(_, d) => d.value && run(() => api.post(`/conversations/${id}/assign`, { staffId: d.value }))}>
            <option value="">Assign to…</option>
            {service.colleagues.filter((c) => c.id !== detail.assignedTo?.id).map((c) => <option key={c.id} value={c.id}>{c.name} ({c.role})</option>)}
          </Select>
        )}
        {open && <Button onClick={() => { setChoice(''); setTransferNote(''); setDialog('transfer'); }}>Transfer</Button>}
        {open && <Button onClick={() => { setChoice(''); setTransferNote(''); setDialog('close'); }}>Close</Button>}
        {!open && <Button onClick={() => { setTransferNote(''); setDialog('reopen'); }}>Reopen</Button>}
        {!detail.recorded && <Button onClick={() => run(() => api.post(`/conversations/${id}/recorded`))}>Mark recorded in clinical record</Button>}
        {detail.recorded && <Badge appearance="tint" color="success">In clinical record</Badge>}
        {detail.riskLevel !== 'none' && <Button onClick={() => { setChoice(''); setTransferNote(''); setDialog('clear'); }}>Clear risk flag</Button>}
        <Button onClick={() => run(() => api.download(`/api/v1/conversations/${id}/transcript.pdf`, `lamplight-${id}.pdf`))}>Export PDF</Button>
        <Button onClick={() => run(() => api.download(`/api/v1/conversations/${id}/transcript.txt`, `lamplight-${id}.txt`))}>Export text</Button>
        {detail.contact.blocked
          ? <Button onClick={() => run(() => api.post(`/conversations/${id}/unblock`))}>Unblock</Button>
          : <Button onClick={() => run(() => api.post(`/conversations/${id}/block`))}>Block contact</Button>}
      </div>
      {/* Focusable so keyboard users can scroll a long thread (axe scrollable-region-focusable). */}
      <ol className={styles.thread} ref={threadRef} aria-label="Messages" tabIndex={0} style={{ position: 'relative' }}>
        {(older ? older.before : detail.olderMessages?.before) && (
          <li className={styles.event}><Button size="small" onClick={() => void loadOlder((older ? older.before : detail.olderMessages!.before)!)}>Show earlier messages</Button></li>
        )}
        {threadItems(older ? { ...detail, messages: withOlder(older.messages, detail.messages) } : detail).map((entry) => entry.alert ? (
          <li key={entry.alert.key} className={`${styles.bubble} ${styles.event}`} data-author="system" data-escalation-alert>
            <span className={styles.meta}>Escalation · {dateTime(entry.alert.at)}</span>
            <Text>{alertWords(entry.alert)}</Text>
          </li>
        ) : entry.note ? (
          <li key={entry.note.id} className={`${styles.bubble} ${styles.event}`} data-author="system" data-note-kind={entry.note.kind}>
            <span className={styles.meta}>{entry.note.authorName ?? 'System'} · {dateTime(entry.note.createdAt)}</span>
            <SafeText text={entry.note.text} />
          </li>
        ) : messageItem(entry.message!))}
      </ol>
      {open && replyWindow && <WindowNotice state={replyWindow} maxLength={detail.reply.maxLength} />}
      {open && detail.reply.page && !detail.reply.page.open && (
        <MessageBar intent="warning">
          <MessageBarBody>
            The young person's chat page is closed{detail.reply.page.lastSeenAt ? ` (last open ${dateTime(detail.reply.page.lastSeenAt)})` : ''}. A reply is kept and shows only if they open the chat again in the same browser session; web chat cannot reach them any other way. If you are worried about them, follow your service's process.
          </MessageBarBody>
        </MessageBar>
      )}
      {open && (
        <div className={styles.composer}>
          <Field label="Reply (type / for templates; Ctrl+Enter sends)">
            <Textarea
              ref={replyRef}
              value={reply}
              disabled={replyBlocked}
              resize="vertical"
              onChange={(_, d) => { setReply(d.value); setPickerIndex(0); if (d.value && !d.value.startsWith('/')) typing(); }}
              onKeyDown={(e) => {
                if (templates.length && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) { e.preventDefault(); setPickerIndex((i) => (i + (e.key === 'ArrowDown' ? 1 : templates.length - 1)) % templates.length); }
                else if (templates.length && e.key === 'Enter') { e.preventDefault(); useTemplate(templates[pickerIndex].text); }
                else if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); void send(); }
              }}
              aria-describedby="template-picker"
            />
          </Field>
          {templates.length > 0 && (
            <ul id="template-picker" className={styles.picker} role="listbox" aria-label="Templates">
              {templates.map((t, i) => (
                <li key={t.id} role="option" aria-selected={i === pickerIndex} className={`${styles.option} ${i === pickerIndex ? styles.active : ''}`} onMouseDown={(e) => { e.preventDefault(); useTemplate(t.text); }}>
                  <Text weight="semibold">{t.title}</Text> <Text size={200}>{t.text.slice(0, 60)}…</Text>
                </li>
              ))}
            </ul>
          )}
          <div className={styles.actions}><Button appearance="primary" onClick={() => void send()} disabled={sending || replyBlocked || !reply.trim() || reply.startsWith('/') || outgoing.units > detail.reply.maxLength}>{sending ? 'Sending…' : 'Send reply'}</Button>
            {/* Not a live region: announcing every keystroke would drown a screen reader. */}
            <Text size={200} data-reply-size>{sizeLabel(outgoing, detail.channel, detail.reply.maxLength)}</Text>
          </div>
          {outgoing.units > detail.reply.maxLength && (
            <MessageBar intent="error"><MessageBarBody>Too long to send: {detail.reply.maxLength} is the most one {channelName(detail.channel)} message takes, and this is {outgoing.units}{outgoing.units !== outgoing.characters ? ' (emoji and some symbols count twice)' : ''}. Nothing has been cut: shorten it, or send it in two.</MessageBarBody></MessageBar>
          )}
          {controls > 0 && <Text size={200}>{controls} invisible control character{controls === 1 ? '' : 's'} (such as a right-to-left override) will be taken out before sending.</Text>}
          {sentNote && <Text size={200} role="status">{sentNote}</Text>}
        </div>
      )}
      <div className={styles.side}>
        <Text as="h3" weight="semibold">Internal notes</Text>
        {staffNotes.length === 0 && <Text size={200}>No notes yet.</Text>}
        {staffNotes.map((n) => <Text key={n.id} size={200}>{n.authorName ?? 'System'} · {dateTime(n.createdAt)}: <SafeText text={n.text} /></Text>)}
        <Field label="Add a note (staff only, never sent)"><Textarea value={note} onChange={(_, d) => setNote(d.value)} /></Field>
        <div className={styles.actions}><Button onClick={() => note.trim() && run(async () => { await api.post(`/conversations/${id}/notes`, { text: note }); setNote(''); })} disabled={!note.trim()}>Add note</Button></div>
        <Text as="h3" weight="semibold">Previous conversations with this contact</Text>
        {detail.history.length === 0 ? <Text size={200}>None.</Text> : (
          <ul className={styles.history} aria-label="Previous conversations">
            {detail.history.map((h) => {
              const words = `${date(h.createdAt)} · ${services.all.find((s) => s.slug === h.service)?.name ?? h.service} · ${h.status}${h.outcome ? ` (${h.outcome.replace(/-/g, ' ')})` : ''}${h.riskLevel !== 'none' ? ` · ${h.riskLevel === 'high' ? 'high risk' : 'priority'}` : ''}`;
              return <li key={h.id}>{onOpen ? <Link onClick={() => onOpen(h.id)} data-history={h.id}>{words}</Link> : <Text size={200}>{words}</Text>}</li>;
            })}
          </ul>
        )}
      </div>
      <Dialog open={dialog !== undefined} onOpenChange={(_, d) => !d.open && setDialog(undefined)}>
        <DialogSurface>
          <DialogBody>
            <DialogTitle>{DIALOG_TITLES[dialog ?? 'close']}</DialogTitle>
            <DialogContent>
              {dialog === 'close' && (
                <>
                  <Field label="Outcome"><Select value={choice} onChange={(_, d) => setChoice(d.value)}><option value="">Choose…</option>{services.outcomes.map((o) => <option key={o} value={o}>{o.replace(/-/g, ' ')}</option>)}</Select></Field>
                  {/* A flagged conversation is closed only with a word on why it is safe to. */}
                  <Field label={flagged ? `Why it is safe to close (needed: flagged ${detail.riskLevel} risk)` : 'Note (optional)'} required={flagged}>
                    <Textarea value={transferNote} onChange={(_, d) => setTransferNote(d.value)} />
                  </Field>
                </>
              )}
              {dialog === 'transfer' && (
                <>
                  <Field label="Service"><Select value={choice} onChange={(_, d) => setChoice(d.value)}><option value="">Choose…</option>{services.all.filter((s) => s.slug !== detail.service).map((s) => <option key={s.slug} value={s.slug}>{s.name}</option>)}</Select></Field>
                  <Field label="Note for the receiving team"><Textarea value={transferNote} onChange={(_, d) => setTransferNote(d.value)} /></Field>
                </>
              )}
              {dialog === 'clear' && (
                <>
                  <Field label="Reason" required><Select value={choice} onChange={(_, d) => setChoice(d.value)}><option value="">Choose…</option>{services.riskClearReasons.map((r) => <option key={r.code} value={r.code}>{r.words[0].toUpperCase() + r.words.slice(1)}</option>)}</Select></Field>
                  <Field label="Note: what you did and found" required><Textarea value={transferNote} onChange={(_, d) => setTransferNote(d.value)} /></Field>
                </>
              )}
              {dialog === 'reopen' && (
                <Field label="Why it is being reopened" required><Textarea value={transferNote} onChange={(_, d) => setTransferNote(d.value)} /></Field>
              )}
              {dialog === 'acknowledge' && (
                <Field label="What was done? (kept in the thread and the transcript)" required><Textarea value={transferNote} onChange={(_, d) => setTransferNote(d.value)} maxLength={500} /></Field>
              )}
            </DialogContent>
            <DialogActions>
              <Button onClick={() => setDialog(undefined)}>Cancel</Button>
              <Button appearance="primary" disabled={!dialogReady} onClick={() => {
                const which = dialog;
                setDialog(undefined);
                void run(() => {
                  if (which === 'close') return api.post(`/conversations/${id}/close`, { outcome: choice, ...(transferNote.trim() ? { note: transferNote } : {}) });
                  if (which === 'clear') return api.post(`/conversations/${id}/clear-risk`, { reason: choice, note: transferNote });
                  if (which === 'reopen') return api.post(`/conversations/${id}/reopen`, { note: transferNote });
                  if (which === 'acknowledge') return api.post(`/escalations/${detail.escalation!.id}/acknowledge`, { outcome: transferNote });
                  return api.post(`/conversations/${id}/transfer`, { service: choice, note: transferNote });
                });
              }}>{DIALOG_ACTIONS[dialog ?? 'close']}</Button>
            </DialogActions>
          </DialogBody>
        </DialogSurface>
      </Dialog>
      <Text size={100}>Signed in as {me.name}</Text>
    </section>
  );
}

/** What WhatsApp's 24-hour customer-service window means for the next reply, in the clinician's words. */
function WindowNotice({ state, maxLength }: { state: NonNullable<Detail['reply']['window']>; maxLength: number }) {
  if (state.open) {
    return <MessageBar intent="info" layout="multiline"><MessageBarBody>WhatsApp reply window open until {state.closesAt ? dateTime(state.closesAt) : 'unknown'}: replies go as normal messages.</MessageBarBody></MessageBar>;
  }
  if (state.template) {
    return (
      <MessageBar intent="warning" layout="multiline"><MessageBarBody>
        The contact last wrote more than 24 hours ago, so WhatsApp allows only approved templates. Your reply will go inside the service's template “{state.template}”, on one line, at most {maxLength} characters.
        {state.preview && <> They will read: “{state.preview}”</>}
      </MessageBarBody></MessageBar>
    );
  }
  return (
    <MessageBar intent="warning" layout="multiline"><MessageBarBody>
      The contact last wrote more than 24 hours ago, so WhatsApp allows only approved templates, and this service has none set up. No reply can go until the contact writes again. If you are worried about them, follow your service's process for reaching them another way, and ask an admin to set up a template.
    </MessageBarBody></MessageBar>
  );
}
