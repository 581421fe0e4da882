import { Button, Field, Input, MessageBar, MessageBarBody, Switch, Text } from '@fluentui/react-components';
import { useState } from 'react';
import type { Api } from './api';
import { dateTime } from './format';
import type { AlertSettings, Me, NoticeSettings, Services } from './types';
import { useAdminStyles } from './admin/shared';

/**
 * My settings: whether Lamplight can message me in Teams and which notices I get; and, for each of
 * my services, the Teams channel its escalation cards go to (and how an admin links one).
 */
export function Settings({ api, me, services }: { api: Api; me: Me; services: Services }) {
  const styles = useAdminStyles();
  const [notices, setNotices] = useState<NoticeSettings | undefined>(me.teamsNotices);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const mute = (muteNonUrgent: boolean) => {
    setSaving(true);
    setError(undefined);
    api.put<NoticeSettings>('/me/notices', { muteNonUrgent }).then((n) => {
      setNotices(n);
      setSaved(n.muteNonUrgent ? 'Saved: notices of assignments and transfers are muted.' : 'Saved: you get notices of assignments and transfers.');
    }, (e: Error) => setError(e.message)).finally(() => setSaving(false));
  };
  return (
    <div className={styles.stack}>
      <section className={styles.stack} aria-labelledby="settings-notices">
        <Text as="h2" id="settings-notices" size={500} weight="semibold">Notices in Teams</Text>
        {notices?.personalChat ? (
          <Text>On: Lamplight messages you in Teams when a conversation is assigned to you, when one is transferred to a service where you are a duty lead, and when an escalation alerts you. A notice names the service and links to the conversation; it never holds what anyone wrote.</Text>
        ) : (
          <MessageBar intent="warning" layout="multiline" data-notices="not-set-up">
            <MessageBarBody>
              Not set up: Lamplight cannot message you in Teams yet. To get notices of assignments and escalations in Teams,
              open <strong>Apps</strong> in Teams, find <strong>Lamplight</strong> and choose <strong>Add</strong> (for yourself), then reload this page.
            </MessageBarBody>
          </MessageBar>
        )}
        <Switch
          checked={notices?.muteNonUrgent ?? false}
          disabled={saving || !notices}
          onChange={(_, d) => mute(d.checked)}
          label="Mute notices of assignments and transfers"
        />
        <Text size={200} className={styles.muted}>Escalation alerts cannot be muted.</Text>
        {saved && !error && <Text size={200} role="status">{saved}</Text>}
        {error && <MessageBar intent="error"><MessageBarBody>{error}</MessageBarBody></MessageBar>}
      </section>
      {me.escalationAlerts?.onLadder && <EscalationAlerts api={api} initial={me.escalationAlerts} />}
      <section className={styles.stack} aria-labelledby="settings-channels">
        <Text as="h2" id="settings-channels" size={500} weight="semibold">Duty-lead channels</Text>
        <Text>Where each of your services&rsquo; escalation cards go in Teams. An admin of the service links a channel by typing <code className={styles.code}>@Lamplight link &lt;service&gt;</code> in it (and <code className={styles.code}>unlink</code> to stop).</Text>
        {services.mine.map((s) => {
          const channel = s.dutyLeadChannel;
          return (
            <div key={s.slug} className={styles.card} data-service-channel={s.slug}>
              <Text weight="semibold">{s.name}</Text>
              {!channel && <Text>Not linked: escalation alerts reach duty leads in this tab, and in Teams as personal notices to those who have added the app. An admin links a channel with <code className={styles.code}>@Lamplight link {s.slug}</code>.</Text>}
              {channel?.source === 'command' && (
                <Text>
                  {channel.channelName ?? 'A channel'}{channel.teamName ? ` in ${channel.teamName}` : ''}: linked by {channel.linkedBy ?? 'a former staff member'}{channel.linkedAt ? ` on ${dateTime(channel.linkedAt)}` : ''}.
                </Text>
              )}
              {channel?.source === 'config' && <Text>Set in the services config (channel <code className={styles.code}>{channel.channelId}</code>). A link made in Teams would replace it.</Text>}
            </div>
          );
        })}
        <Text size={200} className={styles.muted}>Teams lists the bot&rsquo;s commands when you type <code className={styles.code}>@Lamplight</code> in a channel, or open your chat with Lamplight.</Text>
      </section>
    </div>
  );
}

/**
 * My work mobile for escalation alerts by text, and where email alerts go: for the people a ladder
 * alerts (duty leads, admins, anyone it names), so an alert reaches them with no tab open.
 */
function EscalationAlerts({ api, initial }: { api: Api; initial: AlertSettings }) {
  const styles = useAdminStyles();
  const [alerts, setAlerts] = useState(initial);
  const [number, setNumber] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const save = (workMobile: string | null) => {
    setSaving(true);
    setError(undefined);
    setSaved(undefined);
    api.put<AlertSettings>('/me/work-mobile', { workMobile }).then((a) => {
      setAlerts(a);
      setNumber('');
      setSaved(a.workMobile ? `Saved: alerts by text go to ${a.workMobile}.` : 'Removed: no alerts by text will reach you.');
    }, (e: Error) => setError(e.message)).finally(() => setSaving(false));
  };
  return (
    <section className={styles.stack} aria-labelledby="settings-alerts" data-settings="alerts">
      <Text as="h2" id="settings-alerts" size={500} weight="semibold">Escalation alerts by text and email</Text>
      <Text>
        When an escalation alerts you, Lamplight also {alerts.bySms ? 'texts your work mobile' : ''}{alerts.bySms && alerts.byEmail ? ' and ' : ''}{alerts.byEmail ? <>emails <strong>{alerts.email}</strong></> : ''}
        {!alerts.bySms && !alerts.byEmail ? 'reaches you only in this tab and in Teams: alerts by text and email are not set up for your services' : ''}.
        {' '}An alert says which service and links to the conversation; it never holds what anyone wrote.
      </Text>
      {alerts.bySms && !alerts.byEmail && <Text size={200} className={styles.muted}>Alerts by email are not set up here (ask whoever runs Lamplight).</Text>}
      {!alerts.bySms && alerts.byEmail && <Text size={200} className={styles.muted}>Alerts by text are not set up for your services (ask whoever runs Lamplight).</Text>}
      {alerts.bySms && (alerts.workMobile
        ? <Text data-work-mobile>Your work mobile: <strong>{alerts.workMobile}</strong></Text>
        : (
          <MessageBar intent="warning" layout="multiline" data-work-mobile="none">
            <MessageBarBody>No work mobile: alerts by text cannot reach you. Add the number of the phone you carry on duty.</MessageBarBody>
          </MessageBar>
        ))}
      {alerts.bySms && (
        <form className={styles.row} onSubmit={(event) => { event.preventDefault(); save(number); }}>
          <Field label={alerts.workMobile ? 'New work mobile' : 'Work mobile'} hint="A UK mobile like 07700 900123, or an international number starting +" validationState={error ? 'error' : 'none'} validationMessage={error}>
            <Input type="tel" autoComplete="tel" value={number} onChange={(_, d) => setNumber(d.value)} disabled={saving} />
          </Field>
          <div className={styles.row}>
            <Button appearance="primary" type="submit" disabled={saving || !number.trim()}>Save</Button>
            {alerts.workMobile && <Button disabled={saving} onClick={() => save(null)}>Remove my work mobile</Button>}
          </div>
        </form>
      )}
      {saved && !error && <Text size={200} role="status">{saved}</Text>}
    </section>
  );
}
