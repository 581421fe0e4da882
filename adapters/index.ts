import type { Server } from 'restify';
import type { ChannelContext, ChannelModule, ChannelName, ChannelSender } from './channel';
import { registerSimulator } from './simulator/simulator';
import { createSmsChannel, SMS_INBOUND_PATH, SmsChannel, TwilioSettings } from './sms';
import { createWhatsAppChannel, WHATSAPP_WEBHOOK_PATH, WhatsAppChannel, WhatsAppSettings } from './whatsapp/channel';
import { createWebchatChannel, WebchatChannel, WebchatSettings } from './webchat';

export interface ChannelSettings {
  twilio: TwilioSettings | undefined;
  whatsapp?: WhatsAppSettings;
  /** Web chat is Lamplight's own Direct Line service: it needs the database, not a provider. */
  webchat: WebchatSettings;
  demo: boolean;
}

/** The services as the simulator shows them: which address each has on each channel. */
export interface SimulatedService {
  slug: string;
  name: string;
  sms?: string;
  whatsapp?: string;
  /** The web chat page's address (`/chat/<webchat>`). */
  webchat?: string;
}

/**
 * The registry: every channel module Lamplight runs, built from the settings. bot/ mounts their
 * routes, sends through their senders and never names a provider; a new channel is a folder and
 * a line here.
 */
export class Channels {
  private constructor(readonly modules: ChannelModule[], private readonly sms: SmsChannel, private readonly whatsapp: WhatsAppChannel | undefined, readonly webchat: WebchatChannel) {}

  static async create(settings: ChannelSettings, context: ChannelContext): Promise<Channels> {
    const sms = await createSmsChannel(settings.twilio, context, settings.demo);
    const whatsapp = await createWhatsAppChannel(settings.whatsapp, context, settings.demo);
    const webchat = createWebchatChannel(settings.webchat, context);
    return new Channels(whatsapp ? [sms, whatsapp, webchat] : [sms, webchat], sms, whatsapp, webchat);
  }

  /** Senders by channel, for the outbox. */
  senders(): Partial<Record<ChannelName, ChannelSender>> {
    return Object.fromEntries(this.modules.map((m) => [m.channel, m.sender]));
  }

  /** Whether a stand-in provider runs (demo mode), and so the simulator's phone page. */
  get simulated(): boolean {
    return this.modules.some((m) => m.simulated !== undefined);
  }

  /** Mounts the channel simulator (demo mode only): a phone page speaking to the stand-in providers. */
  registerSimulator(server: Server, services: SimulatedService[], context: Pick<ChannelContext, 'localUrl' | 'publicUrl'>): void {
    if (!this.sms.simulated) return;
    registerSimulator(server, {
      fakeTwilio: this.sms.simulated,
      services,
      inboundUrl: () => ({ target: `${context.localUrl()}${SMS_INBOUND_PATH}`, signed: `${context.publicUrl()}${SMS_INBOUND_PATH}` }),
      whatsapp: this.whatsapp?.simulated ? { fakeGraph: this.whatsapp.simulated, webhookUrl: () => `${context.localUrl()}${WHATSAPP_WEBHOOK_PATH}` } : undefined,
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.modules.map((m) => m.close()));
  }
}
