import { MessageBar, MessageBarBody, Spinner, Text } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import type { Api } from '../api';
import { date } from '../format';
import type { ServiceSettings, ServicesSettings } from './types';
import { useAdminStyles } from './shared';

const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const AUTO_REPLY_NAMES: Record<string, string> = {
  welcome: 'Welcome', outOfHours: 'Out of hours', safety: 'Safety (high risk)', safetyOutOfHours: 'Safety, out of hours', holding: 'Holding (high risk, no reply yet)',
  textOnly: 'Photos and files', optOut: 'Opt-out (STOP)', optIn: 'Opt-in (START)',
};
const BANK_HOLIDAYS: Record<string, string> = { 'england-and-wales': 'England and Wales', scotland: 'Scotland', 'northern-ireland': 'Northern Ireland' };
const recipient = (r: string) => r.startsWith('role:') ? `everyone who is ${r.slice(5).replace('-', ' ')}` : r.slice(6);
const minutes = (m: number) => (m % 1440 === 0 ? `${m / 1440} day${m === 1440 ? '' : 's'}` : m % 60 === 0 ? `${m / 60} hour${m === 60 ? '' : 's'}` : `${m} minutes`);

/** How long a person's records are kept, in words (the Records Management Code's rule, and the years it comes to). */
function retentionWords(r: ServiceSettings['retention']): string {
  const rule = r.records === 'children'
    ? `Children's records, until the 25th birthday; the youngest contact seen is ${r.youngestAge}`
    : r.records === 'adults' ? 'Adult records' : 'Mental health records';
  return `${rule}: ${r.years} years after a person's last conversation closed (NHS Records Management Code of Practice). Then retention deletes them, unless a legal hold keeps them.`;
}

/** Each service's settings as the config file has them: read-only here, because they change in the file, under review. */
export function ServicesView({ api }: { api: Api }) {
  const styles = useAdminStyles();
  const [settings, setSettings] = useState<ServicesSettings>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    api.get<ServicesSettings>('/admin/services').then(setSettings, (e: Error) => setError(e.message));
  }, [api]);
  return (
    <section className={styles.stack} aria-label="Services' settings">
      <Text as="h2" size={500} weight="semibold">Services&rsquo; settings</Text>
      {error && <MessageBar intent="error" layout="multiline"><MessageBarBody>{error}</MessageBarBody></MessageBar>}
      {!settings && !error && <Spinner size="small" label="Loading settings…" />}
      {settings && (
        <>
          <MessageBar intent="info" layout="multiline">
            <MessageBarBody>
              These settings are read-only here. They live in the services config file{settings.source.loaded ? <> this server read at its start, <code data-config-loaded>{settings.source.loaded}</code></> : null}: the file the server&rsquo;s <code>{settings.source.env}</code> environment
              variable names (<code>{settings.source.defaultPath}</code> when it is not set), under change control. To change one, edit that file, check it
              with <code>{settings.source.check}</code>, and restart Lamplight. Secrets (provider tokens, the web chat&rsquo;s Direct Line secret) are never shown.
            </MessageBarBody>
          </MessageBar>
          <Text size={200}>{settings.organisation} · times are {settings.timeZone} (UK time)</Text>
          {settings.services.map((s) => <ServiceCard key={s.slug} service={s} />)}
        </>
      )}
    </section>
  );
}

function ServiceCard({ service: s }: { service: ServiceSettings }) {
  const styles = useAdminStyles();
  return (
    <article className={styles.card} aria-labelledby={`service-${s.slug}`} data-service-settings={s.slug}>
      <Text as="h3" size={400} weight="semibold" id={`service-${s.slug}`}>{s.name} <span className={styles.muted}>({s.slug})</span></Text>
      <Text weight="semibold">Opening hours</Text>
      <dl className={styles.stack} style={{ margin: 0, gap: '2px' }}>
        {DAYS.map((d) => (
          <div key={d} className={styles.row} style={{ gap: '6px' }}>
            <dt style={{ minWidth: '96px' }}>{d[0].toUpperCase() + d.slice(1)}</dt>
            <dd style={{ margin: 0 }}>{s.hours[d]?.length ? s.hours[d].join(', ') : 'Closed'}</dd>
          </div>
        ))}
      </dl>
      <Text size={200}>Closed on bank holidays in {BANK_HOLIDAYS[s.bankHolidays] ?? s.bankHolidays}{s.upcomingBankHolidays.length ? `; next: ${s.upcomingBankHolidays.map((h) => `${h.name} (${date(`${h.date}T12:00:00Z`)})`).join(', ')}` : ''}.</Text>
      <Text size={200}>Other closures: {s.closures.length ? s.closures.map((c) => date(`${c}T12:00:00Z`)).join(', ') : 'none'}.</Text>
      <Text weight="semibold">Reply promises</Text>
      <Text size={200}>Usually {s.replyPromise.wording} ({minutes(s.replyPromise.minutes)}); flagged conversations {s.urgentReplyPromise ? `${s.urgentReplyPromise.wording} (${minutes(s.urgentReplyPromise.minutes)})` : 'keep the usual promise'}.</Text>
      <Text weight="semibold">Records kept</Text>
      <Text size={200} data-retention>{retentionWords(s.retention)}</Text>
      <Text weight="semibold">Automatic replies</Text>
      <Text size={200}>Each kind at most once per conversation in {minutes(s.autoReplyIntervalMinutes)}; the safety reply at most every {minutes(s.safetyReplyIntervalMinutes)}, the holding reply every {minutes(s.holdingReplyIntervalMinutes)}.</Text>
      <dl style={{ margin: 0 }}>
        {Object.entries(s.autoReplies).filter(([, text]) => text).map(([kind, text]) => (
          <div key={kind} style={{ marginBottom: '6px' }}>
            <dt><Text size={200} weight="semibold">{AUTO_REPLY_NAMES[kind] ?? kind}</Text></dt>
            <dd style={{ margin: 0, whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}><Text size={200}>{text}</Text></dd>
          </div>
        ))}
      </dl>
      <Text weight="semibold">Reply templates</Text>
      {s.templates.length === 0 ? <Text size={200}>None.</Text> : (
        <ul style={{ margin: 0, paddingLeft: '20px' }}>
          {s.templates.map((t) => <li key={t.id}><Text size={200}><strong>{t.title}</strong> (/{t.id}): <span style={{ overflowWrap: 'anywhere' }}>{t.text}</span></Text></li>)}
        </ul>
      )}
      <Text weight="semibold">Escalation ladder</Text>
      {(['inHours', 'outOfHours'] as const).map((when) => (
        <div key={when}>
          <Text size={200}>{when === 'inHours' ? 'In hours' : 'Out of hours'}: each level has {minutes(s.escalation[when].acknowledgeWithinMinutes)} to acknowledge.</Text>
          <ol style={{ margin: 0, paddingLeft: '20px' }}>
            {s.escalation[when].levels.map((level, i) => <li key={i}><Text size={200}>{level.map(recipient).join(', ')}</Text></li>)}
          </ol>
        </div>
      ))}
      <Text size={200}>The ladder is climbed {s.escalation.rounds} time{s.escalation.rounds === 1 ? '' : 's'}, then a final alert goes to {s.escalation.fallback.map(recipient).join(', ')}. Duty-lead Teams channel: {s.escalation.teamsChannelSet ? 'set' : 'not set'}.</Text>
      <Text weight="semibold">Channels</Text>
      <ul style={{ margin: 0, paddingLeft: '20px' }}>
        <li><Text size={200}>SMS: {s.channels.sms ?? 'off'}</Text></li>
        <li><Text size={200}>WhatsApp: {s.channels.whatsapp ? `phone-number id ${s.channels.whatsapp.phoneNumberId}${s.channels.whatsapp.replyTemplate ? `; after 24 hours replies go in template ${s.channels.whatsapp.replyTemplate.name} (${s.channels.whatsapp.replyTemplate.language})` : '; no reply template'}` : 'off'}</Text></li>
        <li>
          <Text size={200}>
            Web chat: {s.channels.webchat
              ? `on, at /chat/${s.channels.webchat.slug}${s.channels.webchat.answeredBy ? `, answered by ${s.channels.webchat.answeredBy}` : ''}; embedded on ${s.channels.webchat.embedOrigins.length ? s.channels.webchat.embedOrigins.join(', ') : 'no other sites'}${s.channels.webchat.exitUrl ? `; Quick exit goes to ${s.channels.webchat.exitUrl}` : ''}`
              : 'off'}
          </Text>
        </li>
      </ul>
    </article>
  );
}
