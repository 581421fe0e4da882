import PDFDocument from 'pdfkit';
import { SERVICE_ZONE } from '../gateway/hours';

/** What a transcript shows: the conversation as the clinician API returns it. */
export interface TranscriptView {
  id: string;
  serviceName: string;
  channel: string;
  createdAt: string | null;
  closedAt: string | null;
  outcome: string | null;
  contact: { address: string };
  messages: { createdAt: string | null; authorKind: string; authorName: string | null; autoReplyKind: string | null; text: string; risk: { level: string; reasons?: { level: string; category: string; phrase: string; why?: string }[] } | null; delivery: { status: string; template?: string | null } | null }[];
  notes: { createdAt: string | null; authorName: string | null; kind: string; text: string }[];
  /** Every escalation, newest first (as bot/escalation/view.ts describes them). */
  escalations?: {
    status: string; categories: string[]; raisedAt: string; messageCount: number;
    holder: { label: string; names: string[] } | null;
    alerts: { at: string; level: number; round: number; final: boolean; to: string[]; routes: string[] }[];
    acknowledgement: { by: string | null; at: string; outcome: string | null } | null;
  }[];
}

const CONFIDENTIAL = 'CONFIDENTIAL: contains health information about a service user. Store and share it only as your service\'s information governance allows.';

/** Why triage flagged a message, in words, for the record. */
function reasonsLine(m: TranscriptView['messages'][number]): string | undefined {
  const reasons = (m.risk?.reasons ?? []).filter((r) => r.level !== 'none');
  if (!reasons.length) return undefined;
  return `Flagged: ${reasons.map((r) => `${r.level} risk, ${r.category.replace(/-/g, ' ')}: "${visible(r.phrase)}"${r.why ? ` (${r.why})` : ''}`).join('; ')}`;
}

/** Each escalation in order: raised, every alert and to whom, and who acknowledged it, when, and what was done. */
function escalationLines(view: TranscriptView): string[] {
  const lines: string[] = [];
  for (const e of [...(view.escalations ?? [])].reverse()) {
    lines.push(`Escalated ${when(e.raisedAt)} (${e.categories.map((c) => c.replace(/-/g, ' ')).join(', ') || 'high risk'}; ${e.messageCount} high-risk message${e.messageCount === 1 ? '' : 's'}).`);
    for (const a of e.alerts) lines.push(`  ${when(a.at)}: ${a.final ? 'final alert' : `level ${a.level} alert, round ${a.round}`} to ${a.to.join(', ') || 'nobody (no one holds that role)'}, in the ${a.routes.join(' and the ')}.`);
    if (e.acknowledgement) {
      lines.push(`  Acknowledged by ${e.acknowledgement.by ?? 'a former staff member'} ${when(e.acknowledgement.at)}: ${e.acknowledgement.outcome === null ? 'no outcome recorded (acknowledged from the Teams card)' : visible(e.acknowledgement.outcome)}.`);
    } else {
      lines.push(`  Not acknowledged when exported${e.holder ? `; held by ${e.holder.label}` : ''}${e.status === 'exhausted' ? ' (the ladder has run out: final alert sent)' : ''}.`);
    }
  }
  return lines;
}

// Invisible bidi and zero-width controls are written as codes: a transcript must read as typed.
const visible = (text: string) => text.replace(/[\u202A-\u202E\u2066-\u2069\u200B-\u200F\u061C]/g, (c) => `[U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}]`);

// Times as the service keeps them: British English, UK civil time, with the zone named, so a
// printed transcript reads the same in any court or office ("24 Nov 2026, 10:00:05 GMT").
const WHEN = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: SERVICE_ZONE, timeZoneName: 'short' });
export const when = (iso: string | null | Date): string => (iso === null ? 'unknown' : WHEN.format(typeof iso === 'string' ? new Date(iso) : iso));

function author(m: TranscriptView['messages'][number]): string {
  if (m.authorKind === 'contact') return 'Service user';
  if (m.authorKind === 'clinician') return `Clinician (${m.authorName ?? 'unknown'})`;
  if (m.authorKind === 'auto') return `Auto-reply (${m.autoReplyKind})`;
  return 'System';
}

function header(view: TranscriptView, exportedBy: string, at: Date): string[] {
  return [
    `Lamplight transcript: ${view.serviceName}`,
    CONFIDENTIAL,
    `Conversation ${view.id} (${view.channel}), contact ${view.contact.address}`,
    `Started ${when(view.createdAt)}${view.closedAt ? `, closed ${when(view.closedAt)} (${view.outcome ?? 'no outcome'})` : ''}`,
    `Exported ${when(at)} by ${exportedBy}`,
  ];
}

function messageLine(m: TranscriptView['messages'][number]): string {
  return `[${when(m.createdAt)}] ${author(m)}${m.risk && m.risk.level !== 'none' ? ` [risk: ${m.risk.level}]` : ''}${m.delivery ? ` [${m.delivery.status}]` : ''}${m.delivery?.template ? ` [sent inside the approved WhatsApp template ${m.delivery.template}, on one line]` : ''}`;
}

export function transcriptText(view: TranscriptView, exportedBy: string, at: Date): string {
  const escalation = escalationLines(view);
  return [
    ...header(view, exportedBy, at),
    ...(escalation.length ? ['', ...escalation] : []),
    '',
    ...view.messages.map((m) => `${messageLine(m)}\n${visible(m.text)}\n${reasonsLine(m) ? `${reasonsLine(m)}\n` : ''}`),
    ...(view.notes.length ? ['Internal notes:', ...view.notes.map((n) => `[${when(n.createdAt)}] ${n.authorName ?? 'System'} (${n.kind})\n${visible(n.text)}\n`)] : []),
  ].join('\n');
}

/** The same transcript as a PDF, in DejaVu Sans so any script a service user writes in prints. */
export function transcriptPdf(view: TranscriptView, exportedBy: string, at: Date): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 50, bufferPages: true, info: { Title: `Lamplight transcript ${view.id}`, Author: 'Lamplight', CreationDate: at } });
  doc.registerFont('body', require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'));
  doc.registerFont('bold', require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'));
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  const [title, ...rest] = header(view, exportedBy, at);
  doc.font('bold').fontSize(16).text(title);
  doc.font('body').fontSize(9).fillColor('#444444');
  for (const line of rest) doc.text(line);
  const escalation = escalationLines(view);
  if (escalation.length) {
    doc.moveDown(0.5).font('bold').fillColor('#a00000');
    for (const line of escalation) doc.text(line);
  }
  doc.moveDown();
  for (const m of view.messages) {
    doc.font('bold').fontSize(9).fillColor(m.risk?.level === 'high' ? '#a00000' : '#222222').text(messageLine(m));
    doc.font('body').fontSize(11).fillColor('#000000').text(visible(m.text), { indent: 10 });
    const reasons = reasonsLine(m);
    if (reasons) doc.font('body').fontSize(9).fillColor('#a00000').text(reasons, { indent: 10 });
    doc.moveDown(0.5);
  }
  if (view.notes.length) {
    doc.moveDown().font('bold').fontSize(12).text('Internal notes');
    for (const n of view.notes) {
      doc.font('bold').fontSize(9).text(`[${when(n.createdAt)}] ${n.authorName ?? 'System'} (${n.kind})`);
      doc.font('body').fontSize(11).text(visible(n.text), { indent: 10 });
      doc.moveDown(0.5);
    }
  }
  // Every page says what it is and where it sits: "CONFIDENTIAL · page 2 of 3".
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font('body').fontSize(8).fillColor('#444444').text(`CONFIDENTIAL · Lamplight transcript ${view.id} · page ${i - range.start + 1} of ${range.count}`, doc.page.margins.left, doc.page.height - 30, { lineBreak: false });
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  return done;
}
