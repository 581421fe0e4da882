import { Badge, Button, MessageBar, MessageBarBody, Spinner, Tab, TabList, Text } from '@fluentui/react-components';
import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../api';
import { channelName, dateTime } from '../format';
import type { OutboxList, OutboxRow } from './types';
import { ScrollRegion, useAdminStyles } from './shared';

const KIND_NAMES: Record<OutboxRow['kind'], string> = { clinician: 'Clinician reply', template: 'Reply in approved template', 'auto-reply': 'Automatic reply', notice: 'Notice' };

/** Sends that failed, or are taking too long, in the reader's services: Retry a failed one, or open its conversation. */
export function OutboxView({ api, onOpenConversation }: { api: Api; onOpenConversation: (id: string) => void }) {
  const styles = useAdminStyles();
  const [state, setState] = useState<'failed' | 'delayed'>('failed');
  const [list, setList] = useState<OutboxList>();
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState<string>();

  const load = useCallback(() => {
    api.get<OutboxList>(`/admin/outbox?state=${state}`).then((l) => { setList(l); setError(undefined); }, (e: Error) => setError(e.message));
  }, [api, state]);
  useEffect(() => { setList(undefined); load(); }, [load]);

  const retry = async (row: OutboxRow) => {
    setBusy(row.id);
    setDone(undefined);
    try {
      await api.post(`/admin/outbox/${row.id}/retry`);
      setDone(`The ${KIND_NAMES[row.kind].toLowerCase()} to ${row.contactLabel ?? 'the contact'} is queued to send again.`);
      setError(undefined);
      load();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section className={styles.stack} aria-label="Failed and delayed sends">
      <Text as="h2" size={500} weight="semibold">Failed and delayed sends</Text>
      <TabList selectedValue={state} onTabSelect={(_, d) => { setDone(undefined); setState(d.value as typeof state); }} aria-label="Which sends" size="small">
        <Tab value="failed">Failed</Tab>
        <Tab value="delayed">Delayed</Tab>
      </TabList>
      <Text size={200} className={styles.muted}>
        {state === 'failed'
          ? 'Messages the provider refused or that ran out of attempts. Retry sends one again under the same rules as a reply (not to a contact who has opted out or is blocked).'
          : `Messages still waiting to go more than ${list?.delayedAfterMinutes ?? 5} minutes after they were queued. Lamplight keeps trying them by itself.`}
      </Text>
      {error && <MessageBar intent="error" layout="multiline"><MessageBarBody>{error}</MessageBarBody></MessageBar>}
      {done && <MessageBar intent="success" layout="multiline"><MessageBarBody>{done}</MessageBarBody></MessageBar>}
      {!list && !error && <Spinner size="small" label="Loading sends…" />}
      {list && list.items.length === 0 && <Text>Nothing {state} in your services.</Text>}
      {list && list.items.length > 0 && (
        <ScrollRegion label={`${state === 'failed' ? 'Failed' : 'Delayed'} sends`}>
          <table className={styles.table}>
            <caption className={styles.muted} style={{ textAlign: 'left', padding: '6px 8px' }}>
              {list.total > list.items.length ? `The ${list.items.length} most recent of ${list.total}` : `${list.total} ${state} send${list.total === 1 ? '' : 's'}`}
            </caption>
            <thead>
              <tr>{['Service', 'Contact', 'Channel', 'What', 'Attempts', 'Last error', 'Queued', 'Last change', 'Actions'].map((h) => <th key={h} scope="col" className={styles.th}>{h}</th>)}</tr>
            </thead>
            <tbody>
              {list.items.map((row) => (
                <tr key={row.id} data-outbox={row.id}>
                  <td className={styles.td}>{row.serviceName}</td>
                  <td className={`${styles.td} ${styles.nowrap}`}>{row.contactLabel ?? '—'}</td>
                  <td className={styles.td}>{channelName(row.channel)}</td>
                  <td className={styles.td}>{KIND_NAMES[row.kind]}</td>
                  <td className={styles.td}>{row.attempts}</td>
                  <td className={styles.td}>
                    {row.status === 'failed' ? <Badge color="danger" appearance="tint">Failed</Badge> : <Badge color="warning" appearance="tint">{row.status === 'sending' ? 'Sending' : 'Waiting'}</Badge>}{' '}
                    {row.lastError ?? 'none recorded'}
                    {row.nextAttemptAt && <><br /><span className={styles.muted}>Next try {dateTime(row.nextAttemptAt)}</span></>}
                  </td>
                  <td className={`${styles.td} ${styles.nowrap}`}>{dateTime(row.createdAt)}</td>
                  <td className={`${styles.td} ${styles.nowrap}`}>{dateTime(row.updatedAt)}</td>
                  <td className={styles.td}>
                    <div className={styles.row}>
                      {row.retryable && <Button size="small" appearance="primary" disabled={busy === row.id} onClick={() => void retry(row)} aria-label={`Retry the send to ${row.contactLabel ?? 'the contact'}`}>Retry</Button>}
                      <Button size="small" onClick={() => onOpenConversation(row.conversationId)} aria-label={`Open conversation with ${row.contactLabel ?? 'the contact'}`}>Open conversation</Button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </section>
  );
}
