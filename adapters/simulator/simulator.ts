import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Request, Response, Server } from 'restify';
import type { FakeTwilio } from '../sms/fake';
import type { FakeGraphApi } from '../whatsapp/fake';

/**
 * The channel simulator: a phone in the browser for the embedded default. What it sends reaches
 * Lamplight exactly as the provider would send it (a signed Twilio form post, or a WhatsApp
 * webhook signed as Meta signs it); what Lamplight sends arrives at the fake provider's API and
 * shows on the phone. Only mounted in demo mode, when no provider credentials are configured.
 */
export interface SimulatorOptions {
  fakeTwilio: FakeTwilio;
  /** `webchat` is the service's web chat slug: its page is `/chat/<webchat>`. */
  services: { slug: string; name: string; sms?: string; whatsapp?: string; webchat?: string }[];
  /** Where the simulated Twilio posts, and the public URL it signs over. */
  inboundUrl: () => { target: string; signed: string };
  /** WhatsApp, when its stand-in runs: the fake Graph API and where Meta's webhooks go. */
  whatsapp?: { fakeGraph: FakeGraphApi; webhookUrl: () => string };
}

type SimulatedChannel = 'sms' | 'whatsapp';

const ASSETS = resolve(__dirname, '..', '..', '..', 'adapters', 'simulator', 'public');
const PHONE_NUMBER = /^\+447700900\d{3}$/;

interface PhoneMessage {
  direction: 'sent' | 'received';
  channel: SimulatedChannel;
  service: string;
  text: string;
  at: string;
  status?: number;
}

export function registerSimulator(server: Server, options: SimulatorOptions): void {
  const { fakeTwilio, services } = options;
  const history = new Map<string, PhoneMessage[]>();
  const phone = (number: string) => {
    if (!history.has(number)) history.set(number, []);
    return history.get(number)!;
  };
  fakeTwilio.onMessage((sms) => {
    const service = services.find((s) => s.sms === sms.from);
    phone(sms.to).push({ direction: 'received', channel: 'sms', service: service?.slug ?? sms.from, text: sms.body, at: new Date(sms.at).toISOString() });
  });
  options.whatsapp?.fakeGraph.onMessage((message) => {
    const service = services.find((s) => s.whatsapp === message.phoneNumberId);
    // Meta's wa_id has no +; the phone page knows the number with one.
    phone(`+${message.to.replace(/^\+/, '')}`).push({
      direction: 'received', channel: 'whatsapp', service: service?.slug ?? message.phoneNumberId,
      text: message.text ?? `[template ${message.template?.name ?? ''}] ${(message.template?.parameters ?? []).join(' · ')}`, at: new Date(message.at).toISOString(),
    });
  });

  const asset = (file: string, type: string) => async (_req: Request, res: Response) => {
    res.writeHead(200, {
      'content-type': type,
      'cache-control': 'no-cache',
      'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
    });
    res.end(readFileSync(resolve(ASSETS, file)));
  };
  server.get('/simulator', asset('phone.html', 'text/html; charset=utf-8'));
  server.get('/simulator/phone.js', asset('phone.js', 'text/javascript; charset=utf-8'));
  server.get('/simulator/phone.css', asset('phone.css', 'text/css; charset=utf-8'));

  server.get('/simulator/api/services', async (_req: Request, res: Response) => {
    res.json(services.filter((s) => s.sms || (options.whatsapp && s.whatsapp) || s.webchat).map((s) => ({ slug: s.slug, name: s.name, sms: s.sms, whatsapp: options.whatsapp ? s.whatsapp : undefined, webchat: s.webchat })));
  });

  server.get('/simulator/api/phones/:number/messages', async (req: Request, res: Response) => {
    const number = String(req.params.number);
    if (!PHONE_NUMBER.test(number)) return void res.send(400, { error: 'bad_request', message: 'use a drama-range number like +447700900555' });
    res.json({ messages: history.get(number) ?? [] });
  });

  for (const channel of ['sms', 'whatsapp'] as const) {
    server.post(`/simulator/api/phones/:number/${channel}`, async (req: Request, res: Response) => {
      const number = String(req.params.number);
      const body = (req.body ?? {}) as { service?: unknown; text?: unknown };
      const service = services.find((s) => s.slug === body.service);
      const address = channel === 'sms' ? service?.sms : options.whatsapp && service?.whatsapp;
      if (!PHONE_NUMBER.test(number)) return void res.send(400, { error: 'bad_request', message: 'use a drama-range number like +447700900555' });
      if (!service || !address) return void res.send(400, { error: 'bad_request', message: `pick a service with ${channel === 'sms' ? 'an SMS number' : 'a WhatsApp number'}` });
      if (typeof body.text !== 'string' || !body.text.trim() || body.text.length > 1600) return void res.send(400, { error: 'bad_request', message: 'type a message of up to 1600 characters' });
      const delivered = channel === 'sms' ? await sendSms(number, address, body.text) : await sendWhatsApp(number, address, body.text);
      phone(number).push({ direction: 'sent', channel, service: service.slug, text: body.text, at: new Date().toISOString(), status: delivered.status });
      res.json({ webhookStatus: delivered.status });
    });
  }

  function sendSms(from: string, to: string, text: string) {
    const { target, signed } = options.inboundUrl();
    return fakeTwilio.postSigned(target, fakeTwilio.inboundFields({ from, to, body: text }), signed);
  }

  function sendWhatsApp(from: string, to: string, text: string) {
    const { fakeGraph, webhookUrl } = options.whatsapp!;
    return fakeGraph.postSigned(webhookUrl(), fakeGraph.inboundText({ from: from.replace(/^\+/, ''), to, text }));
  }
}
