import { Button, Field, Input, makeStyles, MessageBar, MessageBarBody, Select, Spinner, Text, tokens } from '@fluentui/react-components';
import { HeatMapChart, VerticalBarChart } from '@fluentui/react-charts';
import { useCallback, useEffect, useState } from 'react';
import type { Api } from './api';
import { ScrollRegion, useAdminStyles } from './admin/shared';
import type { Me, ReportInfo, Services } from './types';
import { date } from './format';

type Bucket = 'day' | 'week' | 'month';

const useStyles = makeStyles({
  figures: { display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(210px, 1fr))', gap: '8px' },
  chart: { minWidth: 0, maxWidth: '100%', overflow: 'hidden' },
});

/** A UK day as YYYY-MM-DD, `plusDays` from today. */
function ukDay(plusDays = 0): string {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  const [y, m, d] = today.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + plusDays)).toISOString().slice(0, 10);
}

/** Seconds as people say them: "45 s", "12 min", "3 h 5 min", "2 days". */
export function duration(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  return `${Math.round(minutes / 1440)} days`;
}

const percent = (share: number | null) => (share === null ? '—' : `${Math.round(share * 100)}%`);
/** From next to nothing (a pale lavender) to the busiest hour (Teams purple). */
const HEAT_COLOURS = ['#eef0fb', '#444791'];

/**
 * Reports for duty leads and admins (issue 15): what their services did over a period of UK days,
 * with charts and, beneath each, the same figures as a table for screen readers and for copying.
 */
export function Reports({ api, me, services }: { api: Api; me: Me; services: Services }) {
  const styles = { ...useAdminStyles(), ...useStyles() };
  const mine = services.mine.filter((s) => me.memberships.some((m) => m.serviceSlug === s.slug && (m.role === 'duty-lead' || m.role === 'admin')));
  const [service, setService] = useState('');
  const [from, setFrom] = useState(() => ukDay(-27));
  const [to, setTo] = useState(() => ukDay(0));
  const [bucket, setBucket] = useState<Bucket>('day');
  const [report, setReport] = useState<ReportInfo>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(false);
  const query = `from=${from}&to=${to}&bucket=${bucket}${service ? `&service=${encodeURIComponent(service)}` : ''}`;

  const load = useCallback(() => {
    setLoading(true);
    setError(undefined);
    api.get<ReportInfo>(`/reports?${query}`).then(setReport, (e: Error) => setError(e.message)).finally(() => setLoading(false));
  }, [api, query]);
  useEffect(() => { load(); }, []); // eslint-disable-line react-hooks/exhaustive-deps

  const t = report?.totals;
  const figure = (label: string, value: string | number, note?: string) => (
    <div className={styles.card} data-figure={label}>
      <Text size={200} className={styles.muted}>{label}</Text>
      <Text size={500} weight="semibold">{value}</Text>
      {note && <Text size={200} className={styles.muted}>{note}</Text>}
    </div>
  );
  const maxHour = report ? Math.max(1, ...report.busiestHours.flatMap((d) => d.hours)) : 1;

  return (
    <div className={styles.stack}>
      <form className={styles.row} aria-label="Report period" onSubmit={(event) => { event.preventDefault(); load(); }}>
        <Field label="Service" className={styles.filter}>
          <Select value={service} onChange={(_, d) => setService(d.value)}>
            <option value="">All my services</option>
            {mine.map((s) => <option key={s.slug} value={s.slug}>{s.name}</option>)}
          </Select>
        </Field>
        <Field label="From (UK day)" className={styles.filter}><Input type="date" value={from} onChange={(_, d) => setFrom(d.value)} /></Field>
        <Field label="To (UK day, included)" className={styles.filter}><Input type="date" value={to} onChange={(_, d) => setTo(d.value)} /></Field>
        <Field label="By" className={styles.filter}>
          <Select value={bucket} onChange={(_, d) => setBucket(d.value as Bucket)}>
            <option value="day">Day</option>
            <option value="week">Week</option>
            <option value="month">Month</option>
          </Select>
        </Field>
        <Button appearance="primary" type="submit" disabled={loading}>Show</Button>
        <Button disabled={!report || loading} onClick={() => void api.download(`/api/v1/reports?${query}&format=csv`, `lamplight-report-${from}-to-${to}.csv`).catch((e: Error) => setError(e.message))}>Download CSV</Button>
      </form>
      {error && <MessageBar intent="error"><MessageBarBody>{error}</MessageBarBody></MessageBar>}
      {loading && !report && <Spinner label="Working out the report…" />}
      {report && t && (
        <>
          <Text>{report.services.map((s) => s.name).join(', ')}: {date(`${report.from}T12:00:00Z`)} to {date(`${report.to}T12:00:00Z`)} (UK days).</Text>
          <section aria-labelledby="report-figures" className={styles.stack}>
            <Text as="h2" id="report-figures" size={500} weight="semibold">In figures</Text>
            <div className={styles.figures}>
              {figure('Conversations started', t.conversations, `${t.repeatContacts} from someone who had written before`)}
              {figure('Messages in / out', `${t.inbound} / ${t.outbound}`)}
              {figure('High-risk messages', t.highRisk, `${t.mediumRisk} medium risk`)}
              {report.firstReply.count
                ? figure('First clinician reply', duration(report.firstReply.median), `median; 90% within ${duration(report.firstReply.p90)}; ${percent(report.firstReply.withinPromise)} within the reply promise; ${report.firstReply.unanswered} not answered by a clinician`)
                : figure('First clinician reply', 'None yet', `${report.firstReply.unanswered} conversation${report.firstReply.unanswered === 1 ? '' : 's'} not answered by a clinician`)}
              {figure('Escalations', report.escalations.raised, `${report.escalations.acknowledged} acknowledged; ${report.escalations.finalAlerts} reached the final alert`)}
              {report.escalations.timeToAcknowledge.count
                ? figure('Time to acknowledge', duration(report.escalations.timeToAcknowledge.median), `median; 90% within ${duration(report.escalations.timeToAcknowledge.p90)}; longest ${duration(report.escalations.timeToAcknowledge.worst)}`)
                : figure('Time to acknowledge', 'None acknowledged', report.escalations.raised ? 'no escalation in the period has been acknowledged' : 'no escalations in the period')}
              {figure('Answered out of hours', t.answeredOutOfHours, 'conversations that got the out-of-hours reply')}
              {figure('Opt-outs', t.optOuts)}
            </div>
          </section>
          <section aria-labelledby="report-series" className={styles.stack}>
            <Text as="h2" id="report-series" size={500} weight="semibold">Conversations started, by {bucket}</Text>
            <div className={styles.chart}>
              <VerticalBarChart
                chartTitle={`Conversations started by ${bucket}`}
                data={report.series.map((p) => ({ x: p.bucket, y: p.conversations, legend: 'Conversations', color: tokens.colorBrandBackground }))}
                height={220}
                hideLegend
                useSingleColor
              />
            </div>
            <ScrollRegion label={`Conversations and messages by ${bucket}`}>
              <table className={styles.table} data-report-series>
                <caption className={styles.muted}>The chart&rsquo;s figures, with messages, high-risk messages and escalations</caption>
                <thead><tr>{['Period', 'Conversations', 'Messages in', 'Messages out', 'High-risk messages', 'Escalations'].map((h) => <th key={h} scope="col" className={styles.th}>{h}</th>)}</tr></thead>
                <tbody>
                  {report.series.map((p) => (
                    <tr key={p.bucket}>
                      <th scope="row" className={styles.td}>{p.bucket}</th>
                      <td className={styles.td}>{p.conversations}</td><td className={styles.td}>{p.inbound}</td><td className={styles.td}>{p.outbound}</td>
                      <td className={styles.td}>{p.highRisk}</td><td className={styles.td}>{p.escalations}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollRegion>
          </section>
          <section aria-labelledby="report-hours" className={styles.stack}>
            <Text as="h2" id="report-hours" size={500} weight="semibold">Busiest hours (messages in, UK time)</Text>
            <div className={styles.chart}>
              <HeatMapChart
                chartTitle="Messages in by weekday and hour"
                // Hours as numbers (the axis keeps their order); Sunday first, so Monday reads at the top.
                data={[{ legend: 'Messages in', value: 0, data: [...report.busiestHours].reverse().flatMap((d) => d.hours.map((value, hour) => ({ x: hour, y: d.weekday.slice(0, 3), value }))) }]}
                domainValuesForColorScale={[0, maxHour]}
                // Real colours: the scale interpolates between them (a theme token is a CSS variable it cannot read).
                rangeValuesForColorScale={HEAT_COLOURS}
                height={260}
                hideLegend
              />
            </div>
            <ScrollRegion label="Messages in by weekday and hour">
              <table className={styles.table} data-report-hours>
                <thead><tr><th scope="col" className={styles.th}>Day</th>{Array.from({ length: 24 }, (_, h) => <th key={h} scope="col" className={styles.th}>{String(h).padStart(2, '0')}</th>)}</tr></thead>
                <tbody>
                  {report.busiestHours.map((d) => (
                    <tr key={d.weekday}><th scope="row" className={styles.td}>{d.weekday}</th>{d.hours.map((n, h) => <td key={h} className={styles.td}>{n}</td>)}</tr>
                  ))}
                </tbody>
              </table>
            </ScrollRegion>
          </section>
          <section aria-labelledby="report-channels" className={styles.stack}>
            <Text as="h2" id="report-channels" size={500} weight="semibold">Channels and failed sends</Text>
            <ScrollRegion label="Messages and failed sends by channel">
              <table className={styles.table}>
                <thead><tr>{['Channel', 'Messages in', 'Messages out', 'Failed sends'].map((h) => <th key={h} scope="col" className={styles.th}>{h}</th>)}</tr></thead>
                <tbody>
                  {report.byChannel.map((c) => <tr key={c.channel}><th scope="row" className={styles.td}>{CHANNEL_WORDS[c.channel] ?? c.channel}</th><td className={styles.td}>{c.inbound}</td><td className={styles.td}>{c.outbound}</td><td className={styles.td}>{c.failed}</td></tr>)}
                  {report.deliveryFailures.filter((f) => !report.byChannel.some((c) => c.channel === f.channel)).map((f) => (
                    <tr key={f.channel}><th scope="row" className={styles.td}>{CHANNEL_WORDS[f.channel] ?? f.channel}</th><td className={styles.td}>—</td><td className={styles.td}>—</td><td className={styles.td}>{f.failed}</td></tr>
                  ))}
                </tbody>
              </table>
            </ScrollRegion>
          </section>
        </>
      )}
    </div>
  );
}

const CHANNEL_WORDS: Record<string, string> = {
  sms: 'SMS', whatsapp: 'WhatsApp', webchat: 'Web chat', teams: 'Teams cards (staff)', 'teams-notice': 'Teams notices (staff)', 'alert-sms': 'Alert texts (staff)', 'alert-email': 'Alert emails (staff)',
};
