import { useEffect, useState } from 'react';
import { Badge, Button, CounterBadge, Field, Input, makeStyles, mergeClasses, Select, Tab, TabList, Text, tokens } from '@fluentui/react-components';
import type { Counts, SearchParams, SearchResult, Services, Summary } from './types';
import { waiting } from './wait';
import { channelName, dateTime } from './format';
import { SafeText } from './SafeText';

export const QUEUES = [
  { id: 'escalated', label: 'Escalated' },
  { id: 'unassigned', label: 'Unassigned' },
  { id: 'mine', label: 'Mine' },
  { id: 'open', label: 'All open' },
  { id: 'closed', label: 'Closed' },
] as const;

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: '8px', minWidth: 0 },
  counts: { display: 'flex', gap: '12px', flexWrap: 'wrap', color: tokens.colorNeutralForeground2 },
  list: { listStyle: 'none', margin: 0, padding: 0, overflowY: 'auto', display: 'flex', flexDirection: 'column', gap: '4px' },
  row: { width: '100%', textAlign: 'left', border: `1px solid ${tokens.colorNeutralStroke2}`, borderRadius: tokens.borderRadiusMedium, padding: '8px 10px', backgroundColor: tokens.colorNeutralBackground1, color: tokens.colorNeutralForeground1, cursor: 'pointer', display: 'grid', gap: '2px', font: 'inherit', minWidth: 0 },
  // The selected row keeps its own colours and gains a thick edge: a "selected" background is cyan
  // under white text in Teams' high-contrast theme (1.46:1).
  selected: { outline: `2px solid ${tokens.colorBrandStroke1}`, outlineOffset: '-2px', borderLeft: `6px solid ${tokens.colorBrandStroke1}` },
  line: { display: 'flex', gap: '6px', alignItems: 'center', flexWrap: 'wrap', minWidth: 0 },
  preview: { overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap', color: tokens.colorNeutralForeground2, minWidth: 0 },
  unread: { fontWeight: tokens.fontWeightBold },
  search: { display: 'grid', gap: '6px', gridTemplateColumns: 'minmax(0, 1fr) minmax(0, 1fr)' },
  wide: { gridColumn: '1 / -1' },
  buttons: { gridColumn: '1 / -1', display: 'flex', gap: '8px', flexWrap: 'wrap' },
});

const RISK_WORDS: Record<string, string> = { high: 'High risk', medium: 'Priority', none: 'No risk flag', flagged: 'High or priority' };

/** The search form: words, a number or its last four, dates, risk and status (the service is the list's own choice). */
function SearchForm({ searching, onSearch }: { searching: boolean; onSearch: (p: SearchParams | undefined) => void }) {
  const styles = useStyles();
  const [form, setForm] = useState<SearchParams>({});
  const [more, setMore] = useState(false);
  const set = (k: keyof SearchParams) => (_: unknown, d: { value: string }) => setForm((f) => ({ ...f, [k]: d.value }));
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const params = Object.fromEntries(Object.entries(form).filter(([, v]) => v && v.trim())) as SearchParams;
    onSearch(Object.keys(params).length ? params : undefined);
  };
  return (
    <form className={styles.search} role="search" aria-label="Search conversations" onSubmit={submit}>
      <Field label="Search messages" className={styles.wide}><Input value={form.q ?? ''} onChange={set('q')} placeholder="words from a message" /></Field>
      <Field label="Number, or its last four" className={styles.wide}><Input value={form.number ?? ''} onChange={set('number')} inputMode="tel" /></Field>
      {more && (
        <>
          <Field label="From"><Input type="date" value={form.from ?? ''} onChange={set('from')} /></Field>
          <Field label="To"><Input type="date" value={form.to ?? ''} onChange={set('to')} /></Field>
          <Field label="Risk"><Select value={form.risk ?? ''} onChange={set('risk')}><option value="">Any</option>{Object.entries(RISK_WORDS).map(([v, w]) => <option key={v} value={v}>{w}</option>)}</Select></Field>
          <Field label="Status"><Select value={form.status ?? ''} onChange={set('status')}><option value="">Open or closed</option><option value="open">Open</option><option value="closed">Closed</option></Select></Field>
        </>
      )}
      <div className={styles.buttons}>
        <Button type="submit" appearance="primary">Search</Button>
        <Button type="button" onClick={() => setMore((m) => !m)} aria-expanded={more}>{more ? 'Fewer filters' : 'More filters'}</Button>
        {searching && <Button type="button" onClick={() => { setForm({}); onSearch(undefined); }}>Clear search</Button>}
      </div>
    </form>
  );
}

export function Inbox(props: {
  services: Services; service: string; onService: (s: string) => void; queue: string; onQueue: (q: string) => void;
  counts: Counts | undefined; conversations: Summary[]; total?: number; selected: string | undefined; onSelect: (id: string) => void;
  search?: SearchResult; searching: boolean; onSearch: (p: SearchParams | undefined) => void;
}) {
  const styles = useStyles();
  // The waiting times and reply countdowns move on by themselves: a re-render every 30 seconds.
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), 30_000);
    return () => clearInterval(timer);
  }, []);
  const countFor = (q: string) => (q === 'closed' || !props.counts ? undefined : props.counts[q as keyof Counts]);
  const rows = props.searching ? props.search?.conversations ?? [] : props.conversations;
  return (
    <nav className={styles.root} aria-label="Inbox">
      <Select aria-label="Service" value={props.service} onChange={(_, d) => props.onService(d.value)}>
        <option value="">All my services</option>
        {props.services.mine.map((s) => <option key={s.slug} value={s.slug}>{s.name}</option>)}
      </Select>
      <SearchForm searching={props.searching} onSearch={props.onSearch} />
      {!props.searching && (
        <TabList selectedValue={props.queue} onTabSelect={(_, d) => props.onQueue(String(d.value))} vertical size="small" aria-label="Queues">
          {QUEUES.map((q) => (
            <Tab key={q.id} value={q.id}>
              {q.label} {countFor(q.id) !== undefined && <CounterBadge count={countFor(q.id)} showZero size="small" appearance={q.id === 'escalated' && countFor(q.id) ? 'filled' : 'ghost'} color={q.id === 'escalated' ? 'danger' : 'informative'} />}
            </Tab>
          ))}
        </TabList>
      )}
      {!props.searching && props.counts && (
        <div className={styles.counts} aria-label="Counts">
          <Text size={200}>{props.counts.unread} unread by you</Text>
          <Text size={200}>{props.counts.notRecorded} not yet in the clinical record</Text>
        </div>
      )}
      {props.searching && (
        <Text size={200} role="status">
          {!props.search ? 'Searching…'
            : `${props.search.conversations.length === 0 ? 'Nothing found' : `${props.search.conversations.length} found`}${props.search.complete ? '.' : `, newest first. Not everything was searched (${props.search.scanned.conversations.toLocaleString('en-GB')} conversations, ${props.search.scanned.messages.toLocaleString('en-GB')} messages): add dates or a service to search further back.`}`}
        </Text>
      )}
      <ul className={styles.list} aria-label={props.searching ? 'Search results' : 'Conversations'}>
        {rows.length === 0 && !props.searching && <li><Text size={200}>Nothing here.</Text></li>}
        {rows.map((c) => {
          const wait = c.status === 'open' ? waiting(c.awaitingReplySince, c.replyDueBy) : null;
          const categories = (c.riskCategories ?? []).map((k) => k.replace(/-/g, ' ')).join(', ');
          return (
            <li key={c.id}>
              <button type="button" className={mergeClasses(styles.row, c.id === props.selected && styles.selected)} onClick={() => props.onSelect(c.id)} aria-current={c.id === props.selected ? 'true' : undefined} data-conversation={c.id}>
                <span className={styles.line}>
                  {c.riskLevel === 'high' && <Badge color="danger" appearance="filled">High risk{categories ? `: ${categories}` : ''}</Badge>}
                  {c.riskLevel === 'medium' && <Badge color="warning" appearance="filled">Priority{categories ? `: ${categories}` : ''}</Badge>}
                  {c.escalated && <Badge color="danger" appearance="tint">Escalated</Badge>}
                  {c.undelivered && <Badge color="danger" appearance="outline" data-undelivered>{c.undelivered.held ? 'Not delivered: later replies held' : 'Not delivered'}</Badge>}
                  <Text className={c.unread ? styles.unread : undefined}>{c.contactLabel}</Text>
                  <Text size={200}>{c.serviceName} · {channelName(c.channel)}</Text>
                </span>
                {(c.match?.snippet ?? c.preview) && <Text size={200} className={styles.preview} data-preview><SafeText text={c.match?.snippet ?? c.preview ?? ''} /></Text>}
                <span className={styles.line}>
                  <Text size={200}>Last message {dateTime(c.lastMessageAt)}</Text>
                  {c.status === 'closed' && <Text size={200}>Closed{c.outcome ? ` (${c.outcome.replace(/-/g, ' ')})` : ''}</Text>}
                </span>
                <span className={styles.line}>
                  {wait && <Text size={200}>Waiting {wait.label}{wait.due ? ` · ${wait.due}` : ''}</Text>}
                  {wait?.state === 'late' && <Badge color="danger" appearance="filled" size="small">Past reply promise</Badge>}
                  {wait?.state === 'near' && <Badge color="warning" appearance="filled" size="small">Reply due soon</Badge>}
                  <Text size={200}>{c.assignedTo ? `With ${c.assignedTo.name}` : 'Unassigned'}</Text>
                  {c.unread && <Badge appearance="tint" color="brand" size="small">New</Badge>}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      {!props.searching && props.total !== undefined && props.total > props.conversations.length && (
        <Text size={200} role="status">Showing the first {props.conversations.length} of {props.total}, most urgent first. Choose one service to narrow the list.</Text>
      )}
    </nav>
  );
}
