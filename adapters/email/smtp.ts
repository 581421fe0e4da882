import nodemailer from 'nodemailer';
import { ProviderError } from '../channel';

/** An email to a member of staff (escalation alerts): plain text, one recipient. */
export interface StaffEmail {
  to: string;
  subject: string;
  text: string;
  /** Lamplight's outbox id, as a header: a relay's logs can be matched to the row. */
  outboxItemId: string;
}

export interface Mailer {
  send(mail: StaffEmail): Promise<{ providerMessageId: string }>;
  close(): void;
}

/**
 * Email through an SMTP relay (`SMTP_URL`, e.g. `smtps://user:pass@smtp.example.nhs.uk:465` or
 * `smtp://relay.internal:25`), from `ALERT_EMAIL_FROM`. What the relay answers decides a retry:
 * a 4xx reply or no connection is tried again by the outbox; a 5xx reply (no such mailbox, refused)
 * fails the alert at once, visible on the escalations screen.
 */
export function smtpMailer(settings: { url: string; from: string; timeoutMs?: number }): Mailer {
  // At most about 30 s in all (connect, then the whole conversation) before the outbox tries again later.
  const timeout = settings.timeoutMs ?? 10_000;
  const url = new URL(settings.url);
  const secure = url.protocol === 'smtps:';
  const transport = nodemailer.createTransport({
    host: url.hostname, port: url.port ? Number(url.port) : secure ? 465 : 587, secure,
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    // A plain smtp:// relay on port 587 is asked for STARTTLS when it offers it; a relay that offers none (a local one) is used as it is.
    connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout,
  });
  return {
    async send(mail) {
      try {
        const info = await transport.sendMail({ from: settings.from, to: mail.to, subject: mail.subject, text: mail.text, headers: { 'X-Lamplight-Outbox-Id': mail.outboxItemId } });
        if (info.rejected.length) throw Object.assign(new Error('the relay refused the recipient'), { responseCode: 550 });
        return { providerMessageId: String(info.messageId ?? '').slice(0, 160) || `smtp:${mail.outboxItemId}` };
      } catch (error) {
        const code = (error as { responseCode?: number }).responseCode;
        // Only the relay's reply code and nodemailer's error code: a reply's text can quote the address.
        const what = code ? `the mail relay answered ${code}` : `the mail relay could not be reached (${(error as { code?: string }).code ?? (error as Error).name})`;
        // No reply code: the connection (retried), or nodemailer refusing the message itself (an address it cannot use: not retried).
        const refusedHere = code === undefined && ['EENVELOPE', 'EMESSAGE'].includes(String((error as { code?: string }).code));
        throw new ProviderError(what, !refusedHere && (code === undefined || code < 500), code, code ? String(code) : undefined, refusedHere || (code && code >= 500) ? 'permanent' : 'transient');
      }
    },
    close: () => transport.close(),
  };
}
