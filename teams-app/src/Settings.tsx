import { MessageBar, MessageBarBody, Switch, Text } from '@fluentui/react-components';
import { useState } from 'react';
import type { Api } from './api';
import { dateTime } from './format';
import type { Me, NoticeSettings, Services } from './types';
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
              Not set up: Lamplight cannot message you in Teams yet, so you hear of assignments and escalations only while this page is open.
              To get them in Teams, open <strong>Apps</strong> in Teams, find <strong>Lamplight</strong> and choose <strong>Add</strong> (for yourself), then reload this page.
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
