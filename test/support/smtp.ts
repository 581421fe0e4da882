import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** Header names lower-cased; a folded header unfolded. */
  headers: Map<string, string>;
  subject: string;
  /** The body as sent (nodemailer's quoted-printable undone). */
  text: string;
  raw: string;
}

/**
 * A mail relay on loopback speaking real SMTP (the `smtp-server` package), for escalation alerts
 * by email: it keeps what it accepted, refuses chosen recipients with 550 (no such mailbox), or
 * answers 451 (try again later) to every recipient while `busy`.
 */
export class FakeSmtp {
  readonly mails: ReceivedMail[] = [];
  /** Recipients answered 550 at RCPT TO. */
  readonly refuse = new Set<string>();
  /** While true, every RCPT TO is answered 451. */
  busy = false;
  /** While true, RCPT TO gets no answer at all (a relay that hangs) until `release()`. */
  hold = false;
  private readonly held: (() => void)[] = [];
  /** How many recipients are waiting on a held relay now. */
  get waiting(): number {
    return this.held.length;
  }
  release(): void {
    this.hold = false;
    for (const go of this.held.splice(0)) go();
  }
  private server?: SMTPServer;
  private port = 0;

  async start(port = 0): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo: (address, _session, callback) => {
        const answer = () => {
          if (this.busy) return callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
          if (this.refuse.has(address.address.toLowerCase())) return callback(Object.assign(new Error('no such mailbox'), { responseCode: 550 }));
          callback();
        };
        if (this.hold) this.held.push(answer);
        else answer();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const [head, ...body] = raw.split(/\r?\n\r?\n/);
          const headers = new Map<string, string>();
          for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
            const colon = line.indexOf(':');
            if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
          }
          const quotedPrintable = /quoted-printable/i.test(headers.get('content-transfer-encoding') ?? '');
          const text = quotedPrintable
            ? body.join('\n\n').replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
            : body.join('\n\n');
          this.mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            headers,
            subject: headers.get('subject') ?? '',
            text: text.replace(/\r\n/g, '\n'),
            raw,
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    this.release();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
