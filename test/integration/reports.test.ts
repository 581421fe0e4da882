import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { AuditEvent, Contact, Conversation, Escalation, EscalationNotice, Message, OutboxItem } from '../../db/entities';
import { Harness, startHarness } from '../support/harness';
import { rebuildReportFigures } from '../../db/report-hours';

/**
 * Reports (issue 15 item 1) against a seeded database whose answers the test works out itself,
 * from the rows it wrote and with the platform's own clock for UK days (Intl), not the code's
 * (luxon): the period crosses the end of British Summer Time (25 October 2026).
 */
describe('reports', () => {
  let h: Harness;
  let lead: string;
  beforeEach(async () => {
    h = await startHarness();
    lead = await h.staff('lead@example.nhs.uk', 'duty-lead', 'school-nursing');
    await h.staff('lead@example.nhs.uk', 'duty-lead', 'health-visiting');
  });
  afterEach(async () => h?.close());

  /** A small deterministic generator, so a failure can be replayed. */
  function random(seed: number) {
    let s = seed;
    return () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648;
    };
  }

  const UK = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23', weekday: 'long' });
  function uk(ms: number) {
    const parts = Object.fromEntries(UK.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
    return { day: `${parts.year}-${parts.month}-${parts.day}`, hour: Number(parts.hour), weekday: parts.weekday };
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const nearestRank = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.ceil(q * xs.length) - 1];

  /** Seeds conversations from 18 Oct to 5 Nov 2026 in three services; returns what was written. */
  async function seed() {
    const next = random(42);
    const m = h.app.db.manager;
    const first = Date.parse('2026-10-18T00:00:00Z');
    const span = 18 * 86_400_000;
    const written = { conversations: [] as Conversation[], messages: [] as Message[], escalations: [] as Escalation[], notices: [] as EscalationNotice[], contacts: [] as Contact[], outbox: [] as OutboxItem[] };
    const contacts: Contact[] = [];
    for (let i = 0; i < 25; i++) {
      const optedOut = i % 7 === 0;
      contacts.push({
        id: randomUUID(), channel: i % 3 === 0 ? 'whatsapp' : 'sms', addressHash: `hash-${i}`, addressCipher: 'sealed', keyId: 'k1',
        consent: optedOut ? 'opted_out' : 'active', consentChangedAt: optedOut ? first + Math.floor(next() * span) : null, createdAt: first - 86_400_000, blockedAt: null,
      });
    }
    for (const c of contacts) await m.insert(Contact, c);
    written.contacts = contacts;
    const services = ['school-nursing', 'health-visiting', 'sexual-health'];
    for (let i = 0; i < 90; i++) {
      const contact = contacts[Math.floor(next() * contacts.length)];
      const service = services[i % 3];
      const created = first + Math.floor(next() * span);
      const id = randomUUID();
      const conversation: Conversation = {
        id, serviceSlug: service, contactId: contact.id, channel: contact.channel, endpointAddress: '+447700900101', status: 'closed', openKey: `closed:${id}`,
        riskLevel: 'none', assignedStaffId: null, createdAt: created, lastMessageAt: created, lastInboundAt: created, awaitingReplySince: null, closedAt: created + 1, outcome: null, recordedAt: null, lastReadAt: null, firstReplyAt: null, outOfHoursAt: null, repeatContact: false,
      };
      await m.insert(Conversation, conversation);
      written.conversations.push(conversation);
      let at = created;
      const inbound = 1 + Math.floor(next() * 3);
      const risk = next() < 0.2 ? 'high' : next() < 0.2 ? 'medium' : 'none';
      const message = (direction: 'in' | 'out', authorKind: Message['authorKind'], autoReplyKind: Message['autoReplyKind'], riskLevel: Message['riskLevel']): Message => ({
        id: randomUUID(), conversationId: id, channel: contact.channel, externalId: `x-${randomUUID()}`, direction, authorKind, authorStaffId: null,
        autoReplyKind, bodyCipher: 'sealed', keyId: 'k1', createdAt: at, riskLevel, triageCipher: null,
      });
      const rows: Message[] = [];
      for (let k = 0; k < inbound; k++) {
        rows.push(message('in', 'contact', null, k === 0 ? risk as Message['riskLevel'] : 'none'));
        at += 1000 + Math.floor(next() * 60_000);
      }
      if (next() < 0.3) rows.push(message('out', 'auto', 'out_of_hours', null));
      if (next() < 0.75) {
        at += Math.floor(next() * 4 * 3_600_000);
        rows.push(message('out', 'clinician', null, null));
      }
      for (const row of rows) await m.insert(Message, row);
      written.messages.push(...rows);
      if (risk === 'high') {
        const acknowledged = next() < 0.7 ? created + Math.floor(next() * 3_600_000) : null;
        const escalation: Escalation = {
          id: randomUUID(), conversationId: id, serviceSlug: service, messageId: rows[0].id, status: acknowledged ? 'acknowledged' : 'exhausted', step: 2, nextDueAt: null,
          categories: 'overdose', messageCount: 1, createdAt: created, acknowledgedAt: acknowledged, acknowledgedBy: null,
        };
        await m.insert(Escalation, escalation);
        written.escalations.push(escalation);
        const rounds = 1 + Math.floor(next() * 2);
        for (let r = 1; r <= rounds; r++) {
          const notice: EscalationNotice = { id: randomUUID(), escalationId: escalation.id, step: r, level: 1, round: r, final: false, recipients: '', createdAt: created };
          await m.insert(EscalationNotice, notice);
          written.notices.push(notice);
        }
        if (!acknowledged) {
          const final: EscalationNotice = { id: randomUUID(), escalationId: escalation.id, step: 9, level: 0, round: rounds, final: true, recipients: '', createdAt: created };
          await m.insert(EscalationNotice, final);
          written.notices.push(final);
        }
      }
      if (next() < 0.15) {
        const failed: OutboxItem = {
          id: randomUUID(), messageId: rows[0].id, conversationId: id, channel: next() < 0.5 ? contact.channel : 'teams', status: 'failed', consentNotice: false, holdsLater: false, retryFrom: null,
          priority: 0, attempts: 3, nextAttemptAt: created, lockedUntil: null, lastError: 'x', providerMessageId: null, providerStatus: null, templateName: null, createdAt: created, updatedAt: created,
        };
        await m.insert(OutboxItem, failed);
        written.outbox.push(failed);
      }
    }
    // Written row by row here, as no unit of work writes them: the report figures are worked out from the rows, as the migration does.
    await h.app.db.transaction((tx) => rebuildReportFigures(tx));
    return written;
  }

  it('the figures are the ones worked out from the rows: totals, channels, first replies, escalations, series by UK day across the clocks going back, busiest hours, and CSV the same', async () => {
    const data = await seed();
    const from = '2026-10-20';
    const to = '2026-11-02';
    const mine = new Set(['school-nursing', 'health-visiting']);
    const inPeriod = (ms: number) => uk(ms).day >= from && uk(ms).day <= to;
    const serviceOf = new Map(data.conversations.map((c) => [c.id, c.serviceSlug]));
    const messages = data.messages.filter((x) => mine.has(serviceOf.get(x.conversationId)!) && inPeriod(x.createdAt));
    const conversations = data.conversations.filter((c) => mine.has(c.serviceSlug) && inPeriod(c.createdAt));
    const escalations = data.escalations.filter((e) => mine.has(e.serviceSlug) && inPeriod(e.createdAt));

    const { status, body } = await h.api('GET', `/api/v1/reports?from=${from}&to=${to}&bucket=day`, { token: lead });
    expect(status).to.equal(200);
    expect(body.services.map((s: any) => s.slug)).to.deep.equal(['school-nursing', 'health-visiting']);
    const inbound = messages.filter((x) => x.direction === 'in');
    expect(body.totals).to.deep.equal({
      conversations: conversations.length,
      inbound: inbound.length,
      outbound: messages.filter((x) => x.direction === 'out').length,
      highRisk: inbound.filter((x) => x.riskLevel === 'high').length,
      mediumRisk: inbound.filter((x) => x.riskLevel === 'medium').length,
      escalations: escalations.length,
      repeatContacts: conversations.filter((c) => data.conversations.some((p) => p.contactId === c.contactId && p.createdAt < c.createdAt)).length,
      optOuts: data.contacts.filter((ct) => ct.consent === 'opted_out' && inPeriod(ct.consentChangedAt!) && data.conversations.some((c) => c.contactId === ct.id && mine.has(c.serviceSlug))).length,
      answeredOutOfHours: conversations.filter((c) => data.messages.some((x) => x.conversationId === c.id && x.autoReplyKind === 'out_of_hours')).length,
    });
    expect(body.totals.conversations, 'enough data to mean something').to.be.greaterThan(20);

    const waits = conversations.map((c) => {
      const mineMsgs = data.messages.filter((x) => x.conversationId === c.id);
      const firstIn = Math.min(...mineMsgs.filter((x) => x.direction === 'in').map((x) => x.createdAt));
      const reply = mineMsgs.find((x) => x.authorKind === 'clinician');
      return reply ? Math.round((reply.createdAt - firstIn) / 1000) : null;
    });
    const answered = waits.filter((w): w is number => w !== null);
    expect(body.firstReply).to.deep.equal({
      count: answered.length, median: median(answered), p90: nearestRank(answered, 0.9), worst: Math.max(...answered),
      // The demo services promise a reply within a working day or less: each conversation against its own service's promise.
      withinPromise: answered.filter((w, i) => w <= h.app.directory.bySlugOrUndefined(conversations.filter((_, j) => waits[j] !== null)[i].serviceSlug)!.replyPromise.minutes * 60).length / answered.length,
      unanswered: waits.length - answered.length,
    });

    const acks = escalations.filter((e) => e.acknowledgedAt !== null).map((e) => Math.round((e.acknowledgedAt! - e.createdAt) / 1000));
    const roundsOf = (e: Escalation) => Math.max(...data.notices.filter((n) => n.escalationId === e.id && n.level > 0).map((n) => n.round));
    const rounds = [1, 2].map((round) => ({ round, escalations: escalations.filter((e) => roundsOf(e) === round).length })).filter((r) => r.escalations > 0);
    expect(body.escalations).to.deep.equal({
      raised: escalations.length, acknowledged: acks.length,
      timeToAcknowledge: acks.length ? { count: acks.length, median: median(acks), p90: nearestRank(acks, 0.9), worst: Math.max(...acks) } : { count: 0, median: null, p90: null, worst: null },
      roundsReached: rounds,
      finalAlerts: escalations.filter((e) => data.notices.some((n) => n.escalationId === e.id && n.final)).length,
    });

    const failed = data.outbox.filter((o) => mine.has(serviceOf.get(o.conversationId)!) && inPeriod(o.createdAt));
    const channelNames = [...new Set([...messages.map((x) => x.channel as string), ...failed.filter((o) => o.channel !== 'teams').map((o) => o.channel as string)])].sort();
    expect(body.byChannel).to.deep.equal(channelNames.map((channel) => ({
      channel,
      inbound: messages.filter((x) => x.channel === channel && x.direction === 'in').length,
      outbound: messages.filter((x) => x.channel === channel && x.direction === 'out').length,
      failed: failed.filter((o) => o.channel === channel).length,
    })));
    expect(body.deliveryFailures).to.deep.equal([...new Set(failed.map((o) => o.channel as string))].sort().map((channel) => ({ channel, failed: failed.filter((o) => o.channel === channel).length })));

    // One point per UK day, 14 of them, although 25 October has 25 hours.
    expect(body.series.map((p: any) => p.bucket)).to.have.length(14);
    for (const point of body.series) {
      expect(point, point.bucket).to.deep.equal({
        bucket: point.bucket, start: point.bucket,
        conversations: conversations.filter((c) => uk(c.createdAt).day === point.bucket).length,
        inbound: inbound.filter((x) => uk(x.createdAt).day === point.bucket).length,
        outbound: messages.filter((x) => x.direction === 'out' && uk(x.createdAt).day === point.bucket).length,
        highRisk: inbound.filter((x) => x.riskLevel === 'high' && uk(x.createdAt).day === point.bucket).length,
        escalations: escalations.filter((e) => uk(e.createdAt).day === point.bucket).length,
      });
    }
    const weekdays = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
    expect(body.busiestHours).to.deep.equal(weekdays.map((weekday) => ({
      weekday, hours: Array.from({ length: 24 }, (_, hour) => inbound.filter((x) => uk(x.createdAt).weekday === weekday && uk(x.createdAt).hour === hour).length),
    })));

    // The CSV: the same series and totals.
    const csv = await fetch(`${h.app.url}/api/v1/reports?from=${from}&to=${to}&bucket=day&format=csv`, { headers: { authorization: `Bearer ${lead}` } });
    expect(csv.status).to.equal(200);
    expect(csv.headers.get('content-type')).to.equal('text/csv; charset=utf-8');
    const lines = (await csv.text()).trimEnd().split('\r\n');
    expect(lines[0]).to.equal('bucket,start,conversations,inbound,outbound,highRisk,escalations');
    expect(lines.slice(1, -1)).to.deep.equal(body.series.map((p: any) => [p.bucket, p.start, p.conversations, p.inbound, p.outbound, p.highRisk, p.escalations].join(',')));
    expect(lines.at(-1)).to.equal(['total', from, body.totals.conversations, body.totals.inbound, body.totals.outbound, body.totals.highRisk, body.totals.escalations].join(','));

    // Weeks and months add up to the days.
    const weeks = (await h.api('GET', `/api/v1/reports?from=${from}&to=${to}&bucket=week`, { token: lead })).body;
    expect(weeks.series.map((p: any) => [p.bucket, p.start])).to.deep.equal([['2026-W43', '2026-10-19'], ['2026-W44', '2026-10-26'], ['2026-W45', '2026-11-02']]);
    expect(weeks.series.reduce((n: number, p: any) => n + p.inbound, 0)).to.equal(body.totals.inbound);
    const months = (await h.api('GET', `/api/v1/reports?from=${from}&to=${to}&bucket=month`, { token: lead })).body;
    expect(months.series.map((p: any) => p.bucket)).to.deep.equal(['2026-10', '2026-11']);
    expect(months.series.reduce((n: number, p: any) => n + p.conversations, 0)).to.equal(body.totals.conversations);

    // Each read is audited, with the period and never a figure.
    const audits = await h.app.db.manager.find(AuditEvent, { where: { action: 'report.read' } });
    expect(audits).to.have.length(4);
    expect(audits.map((a) => JSON.parse(String(a.detail)).format).sort()).to.deep.equal(['csv', 'json', 'json', 'json']);
  });

  it('one service only, when asked; a clinician, or a service that is not mine, is refused (403, audited); a bad period is 400', async () => {
    await seed();
    const one = await h.api('GET', '/api/v1/reports?service=health-visiting&from=2026-10-20&to=2026-11-02', { token: lead });
    expect(one.status).to.equal(200);
    expect(one.body.services).to.deep.equal([{ slug: 'health-visiting', name: 'Health Visiting' }]);
    const nurse = await h.staff('nurse@example.nhs.uk', 'clinician', 'school-nursing');
    expect((await h.api('GET', '/api/v1/reports?from=2026-10-20&to=2026-11-02', { token: nurse })).status).to.equal(403);
    expect((await h.api('GET', '/api/v1/reports?service=sexual-health&from=2026-10-20&to=2026-11-02', { token: lead })).status).to.equal(403);
    expect((await h.api('GET', '/api/v1/reports?service=school-nursing,sexual-health&from=2026-10-20&to=2026-11-02', { token: lead })).status).to.equal(403);
    expect(await h.app.db.manager.count(AuditEvent, { where: { action: 'report.read', outcome: 'denied' } })).to.equal(3);
    for (const query of ['from=2026-10-20', 'from=20-10-2026&to=2026-11-02', 'from=2026-11-02&to=2026-10-20', 'from=2025-01-01&to=2026-11-02', 'from=2026-02-30&to=2026-03-02', 'from=2026-10-20&to=2026-11-02&bucket=year', 'from=2026-10-20&to=2026-11-02&format=xml', 'from=2026-10-20&from=2026-10-21&to=2026-11-02']) {
      expect((await h.api('GET', `/api/v1/reports?${query}`, { token: lead })).status, query).to.equal(400);
    }
  });
});
