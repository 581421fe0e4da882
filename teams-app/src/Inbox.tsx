import { useEffect, useState } from 'react';
import { Badge, CounterBadge, makeStyles, mergeClasses, Select, Tab, TabList, Text, tokens } from '@fluentui/react-components';
import type { Counts, Services, Summary } from './types';
import { waiting } from './wait';
import { channelName } from './format';

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
  row: { width: '100%', textAlign: 'left', border: `1px solid ${tokens.colorNeutralStroke2}`, borderRadius: tokens.borderRadiusMedium, padding: '8px 10px', backgroundColor: tokens.colorNeutralBackground1, color: tokens.colorNeutralForeground1, cursor: 'pointer', display: 'grid', gap: '2px', font: 'inherit' },
  selected: { outline: `2px solid ${tokens.colorBrandStroke1}`, backgroundColor: tokens.colorNeutralBackground1Selected },
  line: { display: 'flex', gap: '6px', alignItems: 'center', flexWrap: 'wrap' },
  unread: { fontWeight: tokens.fontWeightBold },
});

export function Inbox(props: {
  services: Services; service: string; onService: (s: string) => void; queue: string; onQueue: (q: string) => void;
  counts: Counts | undefined; conversations: Summary[]; total?: number; selected: string | undefined; onSelect: (id: string) => void;
}) {
  const styles = useStyles();
  // The waiting times and reply countdowns move on by themselves: a re-render every 30 seconds.
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), 30_000);
    return () => clearInterval(timer);
  }, []);
  const countFor = (q: string) => (q === 'closed' || !props.counts ? undefined : props.counts[q as keyof Counts]);
  return (
    <nav className={styles.root} aria-label="Inbox">
      <Select aria-label="Service" value={props.service} onChange={(_, d) => props.onService(d.value)}>
        <option value="">All my services</option>
        {props.services.mine.map((s) => <option key={s.slug} value={s.slug}>{s.name}</option>)}
      </Select>
      <TabList selectedValue={props.queue} onTabSelect={(_, d) => props.onQueue(String(d.value))} vertical size="small" aria-label="Queues">
        {QUEUES.map((q) => (
          <Tab key={q.id} value={q.id}>
            {q.label} {countFor(q.id) !== undefined && <CounterBadge count={countFor(q.id)} showZero size="small" appearance={q.id === 'escalated' && countFor(q.id) ? 'filled' : 'ghost'} color={q.id === 'escalated' ? 'danger' : 'informative'} />}
          </Tab>
        ))}
      </TabList>
      {props.counts && (
        <div className={styles.counts} aria-label="Counts">
          <Text size={200}>{props.counts.unread} unread</Text>
          <Text size={200}>{props.counts.notRecorded} not yet in the clinical record</Text>
        </div>
      )}
      <ul className={styles.list} aria-label="Conversations">
        {props.conversations.length === 0 && <li><Text size={200}>Nothing here.</Text></li>}
        {props.conversations.map((c) => {
          const wait = waiting(c.awaitingReplySince, c.replyDueBy);
          return (
            <li key={c.id}>
              <button type="button" className={mergeClasses(styles.row, c.id === props.selected && styles.selected)} onClick={() => props.onSelect(c.id)} aria-current={c.id === props.selected ? 'true' : undefined} data-conversation={c.id}>
                <span className={styles.line}>
                  {c.riskLevel === 'high' && <Badge color="danger" appearance="filled">High risk</Badge>}
                  {c.riskLevel === 'medium' && <Badge color="warning" appearance="filled">Priority</Badge>}
                  {c.escalated && <Badge color="danger" appearance="tint">Escalated</Badge>}
                  <Text className={c.unread ? styles.unread : undefined}>{c.contactLabel}</Text>
                  <Text size={200}>{c.serviceName} · {channelName(c.channel)}</Text>
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
      {props.total !== undefined && props.total > props.conversations.length && (
        <Text size={200} role="status">Showing the first {props.conversations.length} of {props.total}, most urgent first. Choose one service to narrow the list.</Text>
      )}
    </nav>
  );
}
