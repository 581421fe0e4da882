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
  messages: { createdAt: string | null; authorKind: string; authorName: string | null; autoReplyKind: string | null; text: string; risk: { level: string } | null; delivery: { status: string; template?: string | null } | null }[];
  notes: { createdAt: string | null; authorName: string | null; kind: string; text: string }[];
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
    `Conversation ${view.id} (${view.channel}), contact ${view.contact.address}`,
    `Started ${when(view.createdAt)}${view.closedAt ? `, closed ${when(view.closedAt)} (${view.outcome ?? 'no outcome'})` : ''}`,
    `Exported ${when(at)} by ${exportedBy}`,
  ];
}

function messageLine(m: TranscriptView['messages'][number]): string {
  return `[${when(m.createdAt)}] ${author(m)}${m.risk && m.risk.level !== 'none' ? ` [risk: ${m.risk.level}]` : ''}${m.delivery ? ` [${m.delivery.status}]` : ''}${m.delivery?.template ? ` [sent inside the approved WhatsApp template ${m.delivery.template}, on one line]` : ''}`;
}

export function transcriptText(view: TranscriptView, exportedBy: string, at: Date): string {
  return [
    ...header(view, exportedBy, at),
    '',
    ...view.messages.map((m) => `${messageLine(m)}\n${visible(m.text)}\n`),
    ...(view.notes.length ? ['Internal notes:', ...view.notes.map((n) => `[${when(n.createdAt)}] ${n.authorName ?? 'System'} (${n.kind})\n${visible(n.text)}\n`)] : []),
  ].join('\n');
}

/** The same transcript as a PDF, in DejaVu Sans so any script a service user writes in prints. */
export function transcriptPdf(view: TranscriptView, exportedBy: string, at: Date): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: `Lamplight transcript ${view.id}`, Author: 'Lamplight', CreationDate: at } });
  doc.registerFont('body', require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'));
  doc.registerFont('bold', require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'));
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  const [title, ...rest] = header(view, exportedBy, at);
  doc.font('bold').fontSize(16).text(title);
  doc.font('body').fontSize(9).fillColor('#444444');
  for (const line of rest) doc.text(line);
  doc.moveDown();
  for (const m of view.messages) {
    doc.font('bold').fontSize(9).fillColor(m.risk?.level === 'high' ? '#a00000' : '#222222').text(messageLine(m));
    doc.font('body').fontSize(11).fillColor('#000000').text(visible(m.text), { indent: 10 });
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
  doc.end();
  return done;
}
