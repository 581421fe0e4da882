import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Request, Response, Server } from 'restify';
import type { FakeTwilio } from '../sms/fake-twilio';

/**
 * The channel simulator: a phone in the browser for the embedded default. What it sends reaches
 * Lamplight exactly as Twilio would send it (a signed form post over HTTP); what Lamplight sends
 * arrives at the fake Twilio's REST API and shows on the phone. Only mounted when no provider
 * credentials are configured, and never in production.
 */
export interface SimulatorOptions {
  fakeTwilio: FakeTwilio;
  services: { slug: string; name: string; sms?: string }[];
  /** Where the simulated Twilio posts, and the public URL it signs over. */
  inboundUrl: () => { target: string; signed: string };
}

const ASSETS = resolve(__dirname, '..', '..', '..', 'adapters', 'simulator', 'public');
const PHONE_NUMBER = /^\+447700900\d{3}$/;

interface PhoneMessage {
  direction: 'sent' | 'received';
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
    phone(sms.to).push({ direction: 'received', service: service?.slug ?? sms.from, text: sms.body, at: new Date(sms.at).toISOString() });
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
    res.json(services.filter((s) => s.sms).map((s) => ({ slug: s.slug, name: s.name, sms: s.sms })));
  });

  server.get('/simulator/api/phones/:number/messages', async (req: Request, res: Response) => {
    const number = String(req.params.number);
    if (!PHONE_NUMBER.test(number)) return void res.send(400, { error: 'bad_request', message: 'use a drama-range number like +447700900555' });
    res.json({ messages: history.get(number) ?? [] });
  });

  server.post('/simulator/api/phones/:number/sms', async (req: Request, res: Response) => {
    const number = String(req.params.number);
    const body = (req.body ?? {}) as { service?: unknown; text?: unknown };
    const service = services.find((s) => s.slug === body.service);
    if (!PHONE_NUMBER.test(number)) return void res.send(400, { error: 'bad_request', message: 'use a drama-range number like +447700900555' });
    if (!service?.sms) return void res.send(400, { error: 'bad_request', message: 'pick a service with an SMS number' });
    if (typeof body.text !== 'string' || !body.text.trim() || body.text.length > 1600) return void res.send(400, { error: 'bad_request', message: 'type a message of up to 1600 characters' });
    const { target, signed } = options.inboundUrl();
    const fields = fakeTwilio.inboundFields({ from: number, to: service.sms, body: body.text });
    const delivered = await fakeTwilio.postSigned(target, fields, signed);
    phone(number).push({ direction: 'sent', service: service.slug, text: body.text, at: new Date().toISOString(), status: delivered.status });
    res.json({ webhookStatus: delivered.status });
  });
}
