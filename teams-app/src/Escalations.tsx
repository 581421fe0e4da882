import {
  Badge, Button, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, Field, makeStyles, MessageBar, MessageBarBody,
  Spinner, Tab, TabList, Text, Textarea, tokens,
} from '@fluentui/react-components';
import { ReactNode, useCallback, useEffect, useId, useRef, useState } from 'react';
import { Api, ApiError } from './api';
import type { AlertDelivery, EscalationInfo as EscalationItem } from './types';

type EscalationFilter = 'open' | 'acknowledged' | 'all';
type EscalationHolder = NonNullable<EscalationItem['holder']>;
import { dateTime } from './format';
import { SafeText } from './SafeText';
import type { Me, Services } from './types';

/** The longest "what was done" the API takes, after trimming. */
export const OUTCOME_MAX = 500;
/** How often the list is read again even without a live event, so "due in" and "overdue by" stay honest. */
const REFRESH_MS = 30_000;

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: '12px', minWidth: 0 },
  muted: { color: tokens.colorNeutralForeground2 },
  list: { listStyle: 'none', margin: 0, padding: 0, display: 'flex', flexDirection: 'column', gap: '12px', minWidth: 0 },
  card: {
    border: `1px solid ${tokens.colorNeutralStroke1}`, borderRadius: tokens.borderRadiusMedium, padding: '10px 12px',
    display: 'flex', flexDirection: 'column', gap: '8px', minWidth: 0, backgroundColor: tokens.colorNeutralBackground1,
  },
  // A thick edge on the waiting ones: decoration only, the status badge says it in words.
  waiting: { borderLeft: `6px solid ${tokens.colorPaletteRedBorder2}` },
  heading: { margin: 0, fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold, overflowWrap: 'anywhere' },
  badges: { display: 'flex', gap: '6px', flexWrap: 'wrap', alignItems: 'center' },
  // Label and value side by side where there is room; one under the other on a phone.
  facts: {
    display: 'grid', gridTemplateColumns: 'minmax(9em, max-content) minmax(0, 1fr)', columnGap: '12px', rowGap: '6px', margin: 0,
    '@media (max-width: 599px)': { gridTemplateColumns: 'minmax(0, 1fr)', rowGap: '2px' },
  },
  fact: { display: 'contents' },
  term: { fontWeight: tokens.fontWeightSemibold, color: tokens.colorNeutralForeground1, '@media (max-width: 599px)': { marginTop: '6px' } },
  value: { margin: 0, minWidth: 0, overflowWrap: 'anywhere' },
  alerts: { margin: 0, paddingLeft: '20px', display: 'flex', flexDirection: 'column', gap: '4px' },
  deliveries: { margin: '2px 0 0', paddingLeft: '18px', listStyleType: 'disc' },
  failed: { color: tokens.colorPaletteRedForeground1, fontWeight: tokens.fontWeightSemibold },
  outcome: { display: 'block', marginTop: '2px', padding: '4px 8px', borderLeft: `3px solid ${tokens.colorNeutralStroke1}`, backgroundColor: tokens.colorNeutralBackground3 },
  actions: { display: 'flex', gap: '8px', flexWrap: 'wrap' },
});

const STATUS_WORDS: Record<EscalationItem['status'], string> = {
  open: 'Open',
  exhausted: 'Final alert sent — not acknowledged',
  acknowledged: 'Acknowledged',
};
const RISK_WORDS: Record<EscalationItem['riskLevel'], string> = { high: 'High risk', medium: 'Medium risk', none: 'No risk flag now' };
const EMPTY: Record<EscalationFilter, string> = {
  open: 'No open escalations in your services.',
  acknowledged: 'No acknowledged escalations in your services.',
  all: 'No escalations in your services.',
};

/**
 * Who holds an escalation now, in a sentence: the last level alerted and the people at it, e.g.
 * "Level 2: duty leads, admins (Alex Morgan, Dev Admin)", "Final alert: admins (Dev Admin)", or
 * "Not yet alerted". Names as the conversation's banner lists them (the server sorts them).
 */
export function holderLine(holder: EscalationHolder | null): string {
  if (!holder) return 'Not yet alerted';
  return `${holder.label} (${holder.names.length ? holder.names.join(', ') : 'no one holds that role: nobody was alerted'})`;
}

/** "in 7 min", "overdue by 2 min", "in 1 h 5 min", "due now". */
export function relativeTo(at: string, now: number): string {
  const ms = Date.parse(at) - now;
  const span = (m: number) => (m < 60 ? `${m} min` : m < 48 * 60 ? `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}` : `${Math.floor(m / 1440)} days`);
  if (Math.abs(ms) < 60_000) return 'due now';
  return ms > 0 ? `in ${span(Math.ceil(ms / 60_000))}` : `overdue by ${span(Math.floor(-ms / 60_000))}`;
}

/** Risk category codes as words: 'self-harm' reads "self harm". */
export function categoryWords(categories: string[]): string {
  return categories.length ? categories.map((c) => c.replace(/-/g, ' ')).join(', ') : 'none recorded';
}

/** Where an alert went, as the server names it: "the Lamplight tab and the Teams channel (sent)". */
export const routeWords = (routes: string[]) => `the ${routes.join(' and the ')}`;

const ROUTE_WORDS: Record<AlertDelivery['route'], string> = { 'teams-channel': 'Teams channel card', 'teams-chat': 'Teams message', sms: 'Text', email: 'Email' };
const DELIVERY_WORDS: Record<AlertDelivery['status'], string> = {
  pending: 'queued', sending: 'sending', sent: 'sent', delivered: 'delivered', retrying: 'not through yet, retrying', failed: 'NOT DELIVERED', cancelled: 'not sent: acknowledged first', skipped: 'NOT SENT: no work mobile on record',
};

/** "Text to Alex Morgan: delivered", "Email to Dev Admin: NOT DELIVERED (the mail relay answered 550)". */
export function deliveryLine(d: AlertDelivery): string {
  const why = d.problem && (d.status === 'failed' || d.status === 'retrying') ? ` (${d.problem})` : '';
  return `${ROUTE_WORDS[d.route]}${d.to ? ` to ${d.to}` : ''}: ${DELIVERY_WORDS[d.status]}${why}`;
}

/** Waiting ones first, the longest wait first (the most urgent); then acknowledged, the latest first. */
export function sortEscalations(items: EscalationItem[]): EscalationItem[] {
  const waiting = (e: EscalationItem) => e.status !== 'acknowledged';
  const when = (e: EscalationItem) => Date.parse(e.acknowledgement?.at ?? e.raisedAt);
  return [...items].sort((a, b) => {
    if (waiting(a) !== waiting(b)) return waiting(a) ? -1 : 1;
    return waiting(a) ? Date.parse(a.raisedAt) - Date.parse(b.raisedAt) : when(b) - when(a);
  });
}

const contactOf = (e: EscalationItem) => e.contactLabel ?? 'an unknown contact';

/** Duty leads' and admins' escalations screen (issue 12 item 4): who holds each one now, who was alerted, what comes next, and acknowledging with what was done. */
export function Escalations({ api, me, onOpenConversation }: { api: Api; me: Me; services: Services; onOpenConversation: (id: string) => void }) {
  const styles = useStyles();
  const [filter, setFilter] = useState<EscalationFilter>('open');
  const [items, setItems] = useState<EscalationItem[]>();
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const [now, setNow] = useState(() => Date.now());
  const [acknowledging, setAcknowledging] = useState<EscalationItem>();
  const [outcome, setOutcome] = useState('');
  const [dialogError, setDialogError] = useState<{ message: string; final: boolean }>();
  const [busy, setBusy] = useState(false);
  const doneRef = useRef<HTMLDivElement>(null);
  // Only the newest request may set the list: a slow answer for the last filter must not overwrite this one's.
  const generation = useRef(0);

  const load = useCallback(() => {
    const mine = ++generation.current;
    api.get<{ escalations: EscalationItem[] }>(`/escalations?status=${filter}`).then((r) => {
      if (mine !== generation.current) return;
      setItems(sortEscalations(r.escalations));
      setNow(Date.now());
      setError(undefined);
    }, (e: Error) => {
      if (mine === generation.current) setError(`The escalations could not be loaded: ${e.message}.`);
    });
  }, [api, filter]);
  useEffect(() => { setItems(undefined); load(); }, [load]);

  // Live: the workspace says when an escalation was alerted or acknowledged; and every 30 s anyway.
  useEffect(() => {
    window.addEventListener('lamplight:escalations-changed', load);
    const timer = setInterval(load, REFRESH_MS);
    return () => { window.removeEventListener('lamplight:escalations-changed', load); clearInterval(timer); };
  }, [load]);

  // While the dialog is open the page behind it is inert, as in the conversation view: nothing behind it takes focus or a click.
  useEffect(() => {
    const root = document.getElementById('root');
    if (!root || !acknowledging) return;
    root.inert = true;
    return () => { root.inert = false; };
  }, [acknowledging]);

  useEffect(() => { if (done) doneRef.current?.focus(); }, [done]);

  const canAcknowledge = (e: EscalationItem) => me.memberships.some((m) => m.serviceSlug === e.service && (m.role === 'duty-lead' || m.role === 'admin'));

  const openDialog = (e: EscalationItem) => {
    setOutcome('');
    setDialogError(undefined);
    setDone(undefined);
    setAcknowledging(e);
  };

  const acknowledge = async () => {
    if (!acknowledging || !outcome.trim()) return;
    setBusy(true);
    setDialogError(undefined);
    try {
      await api.post<EscalationItem>(`/escalations/${acknowledging.id}/acknowledge`, { outcome: outcome.trim() });
      setDone(`Acknowledged the escalation for ${contactOf(acknowledging)} (${acknowledging.serviceName}). What was done is in the conversation's thread.`);
      setAcknowledging(undefined);
      load();
    } catch (e) {
      // Someone else got there first: nothing more to do here but say who, and show the list as it is now.
      const conflict = e instanceof ApiError && e.status === 409;
      setDialogError({ message: conflict ? `Not acknowledged: this escalation was ${e.message}.` : `Not acknowledged: ${(e as Error).message}.`, final: conflict || (e instanceof ApiError && (e.status === 403 || e.status === 404)) });
      load();
    } finally {
      setBusy(false);
    }
  };

  const waitingCount = items?.filter((e) => e.status !== 'acknowledged').length ?? 0;
  const blank = !outcome.trim();

  return (
    <div className={styles.root}>
      <Text as="h2" size={500} weight="semibold">Escalations</Text>
      <Text size={200} className={styles.muted}>
        High-risk conversations in your services, and who the escalation ladder has alerted. Acknowledge one when someone has acted on it: say what was done, and the ladder stops.
      </Text>
      <TabList selectedValue={filter} onTabSelect={(_, d) => { setDone(undefined); setFilter(d.value as EscalationFilter); }} aria-label="Which escalations" size="small">
        <Tab value="open">Open</Tab>
        <Tab value="acknowledged">Acknowledged</Tab>
        <Tab value="all">All</Tab>
      </TabList>
      {error && (
        <MessageBar intent="error" layout="multiline" role="alert">
          <MessageBarBody>{error} <Button size="small" onClick={load}>Try again</Button></MessageBarBody>
        </MessageBar>
      )}
      {done && <div ref={doneRef} tabIndex={-1}><MessageBar intent="success" layout="multiline"><MessageBarBody>{done}</MessageBarBody></MessageBar></div>}
      {!items && !error && <Spinner size="small" label="Loading escalations…" />}
      {items && items.length === 0 && <Text>{EMPTY[filter]}</Text>}
      {items && items.length > 0 && (
        <section aria-label="Escalation list" className={styles.root}>
          <Text size={200} className={styles.muted} aria-live="polite">
            {filter === 'acknowledged' ? `${items.length} acknowledged` : `${waitingCount} waiting for acknowledgement${filter === 'all' ? `, ${items.length - waitingCount} acknowledged` : ''}`}
          </Text>
          <ul className={styles.list}>
            {items.map((e) => (
              <li key={e.id}>
                <EscalationCard item={e} now={now} canAcknowledge={canAcknowledge(e)} onAcknowledge={() => openDialog(e)} onOpenConversation={() => onOpenConversation(e.conversationId)} />
              </li>
            ))}
          </ul>
        </section>
      )}
      <Dialog open={acknowledging !== undefined} onOpenChange={(_, d) => { if (!d.open && !busy) setAcknowledging(undefined); }}>
        <DialogSurface>
          <DialogBody>
            <DialogTitle>Acknowledge the escalation</DialogTitle>
            <DialogContent>
              {acknowledging && (
                <div className={styles.root}>
                  <Text>
                    {acknowledging.serviceName}, {contactOf(acknowledging)} ({categoryWords(acknowledging.categories)}), raised {dateTime(acknowledging.raisedAt)}. Who holds it now: {holderLine(acknowledging.holder)}.
                  </Text>
                  <Field
                    label="What was done?"
                    required
                    hint={`Kept in the conversation's thread and its transcript. ${outcome.length} of ${OUTCOME_MAX} characters.`}
                  >
                    <Textarea value={outcome} onChange={(_, d) => setOutcome(d.value.slice(0, OUTCOME_MAX))} maxLength={OUTCOME_MAX} resize="vertical" readOnly={dialogError?.final} />
                  </Field>
                  {dialogError && <MessageBar intent="error" layout="multiline" role="alert"><MessageBarBody>{dialogError.message}</MessageBarBody></MessageBar>}
                </div>
              )}
            </DialogContent>
            <DialogActions>
              <Button disabled={busy} onClick={() => setAcknowledging(undefined)}>{dialogError?.final ? 'Close' : 'Cancel'}</Button>
              {!dialogError?.final && <Button appearance="primary" disabled={blank || busy} onClick={() => void acknowledge()}>{busy ? 'Acknowledging…' : 'Acknowledge'}</Button>}
            </DialogActions>
          </DialogBody>
        </DialogSurface>
      </Dialog>
    </div>
  );
}

function EscalationCard({ item: e, now, canAcknowledge, onAcknowledge, onOpenConversation }: {
  item: EscalationItem; now: number; canAcknowledge: boolean; onAcknowledge: () => void; onOpenConversation: () => void;
}) {
  const styles = useStyles();
  const headingId = useId();
  const waiting = e.status !== 'acknowledged';
  const fact = (term: string, value: ReactNode) => (
    <div className={styles.fact}><dt className={styles.term}>{term}</dt><dd className={styles.value}>{value}</dd></div>
  );
  return (
    <article className={`${styles.card} ${waiting ? styles.waiting : ''}`} aria-labelledby={headingId} data-escalation={e.id} data-status={e.status}>
      <h3 id={headingId} className={styles.heading}>{e.serviceName}: {contactOf(e)}</h3>
      <div className={styles.badges}>
        <Badge appearance={waiting ? 'filled' : 'tint'} color={e.status === 'acknowledged' ? 'success' : 'danger'} shape="rounded">{STATUS_WORDS[e.status]}</Badge>
        <Badge appearance="tint" color={e.riskLevel === 'high' ? 'danger' : e.riskLevel === 'medium' ? 'warning' : 'informative'} shape="rounded">{RISK_WORDS[e.riskLevel]}</Badge>
      </div>
      {(e.undelivered ?? 0) > 0 && (
        <MessageBar intent="error" layout="multiline" data-undelivered>
          <MessageBarBody>
            {e.undelivered === 1 ? 'An alert did not reach its person' : `${e.undelivered} alerts did not reach their people`} (see Alerts sent). Make sure someone has this
            escalation; then ask them to check the work mobile in their Settings, or whoever runs Lamplight to check the email set-up.
          </MessageBarBody>
        </MessageBar>
      )}
      <dl className={styles.facts}>
        {fact('Categories', categoryWords(e.categories))}
        {fact('Raised', <>{dateTime(e.raisedAt)} · {e.messageCount} high-risk message{e.messageCount === 1 ? '' : 's'}</>)}
        {fact('Who holds it now', <span data-holder>{holderLine(e.holder)}</span>)}
        {fact('Ladder round', e.rounds.reached === 0 ? `Not started (${e.rounds.of} round${e.rounds.of === 1 ? '' : 's'} in all)` : `Round ${e.rounds.reached} of ${e.rounds.of}`)}
        {fact('Alerts sent', e.alerts.length === 0 ? 'None yet' : (
          <ol className={styles.alerts} aria-label={`Alerts sent for ${contactOf(e)}`} data-alerts>
            {e.alerts.map((a, i) => (
              <li key={i}>
                {dateTime(a.at)}: {a.final ? 'Final alert' : `Level ${a.level}, round ${a.round}`} to {a.to.length ? a.to.join(', ') : 'nobody (no one holds that role)'}
                {a.routes.length > 0 && <span className={styles.muted}> · in {routeWords(a.routes)}</span>}
                {(a.deliveries ?? []).some((d) => d.route !== 'teams-channel') && (
                  <ul className={styles.deliveries} aria-label="How it reached each person">
                    {(a.deliveries ?? []).filter((d) => d.route !== 'teams-channel').map((d, j) => (
                      <li key={j} data-delivery={d.status} className={d.status === 'failed' || d.status === 'skipped' ? styles.failed : undefined}>{deliveryLine(d)}</li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ol>
        ))}
        {e.nextStep && fact('Next step due', <span data-next-step>{dateTime(e.nextStep.at)} ({relativeTo(e.nextStep.at, now)}): {e.nextStep.description}</span>)}
        {!e.nextStep && e.status === 'exhausted' && fact('Next step due', 'None: the ladder has run out and the final alert has gone. Nobody more will be alerted until it is acknowledged or another high-risk message arrives.')}
        {e.acknowledgement && fact('Acknowledged', (
          <span data-acknowledgement>
            By {e.acknowledgement.by ?? 'someone no longer on the staff list'}, {dateTime(e.acknowledgement.at)}.
            <span className={styles.outcome}>
              {e.acknowledgement.outcome === null ? 'Acknowledged in Teams; no outcome recorded' : <>What was done: <SafeText text={e.acknowledgement.outcome} /></>}
            </span>
          </span>
        ))}
      </dl>
      <div className={styles.actions}>
        {waiting && canAcknowledge && <Button appearance="primary" onClick={onAcknowledge} aria-label={`Acknowledge the escalation for ${contactOf(e)}`}>Acknowledge</Button>}
        {waiting && !canAcknowledge && <Text size={200} className={styles.muted}>Only a duty lead or admin of {e.serviceName} can acknowledge this.</Text>}
        <Button onClick={onOpenConversation} aria-label={`Open conversation with ${contactOf(e)}`}>Open conversation</Button>
      </div>
    </article>
  );
}
