import { randomBytes } from 'node:crypto';
import type { ChannelContext, ChannelModule } from '../channel';
import { FakeTwilio } from './fake';
import { SmsAdapter } from './adapter';
import { TwilioClient } from './client';

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  apiBaseUrl: string;
}

export const SMS_INBOUND_PATH = '/api/sms/twilio';
export const SMS_STATUS_PATH = '/api/sms/twilio/status';

export type SmsChannel = ChannelModule & { readonly simulated?: FakeTwilio };

/**
 * The SMS channel: Twilio when its credentials are set; otherwise, in demo mode only, a local
 * stand-in speaking Twilio's wire format (signed form posts in, the Messages API out, status
 * callbacks back), which the channel simulator's phone page drives.
 */
export async function createSmsChannel(twilio: TwilioSettings | undefined, context: ChannelContext, demo: boolean): Promise<SmsChannel> {
  let simulated: FakeTwilio | undefined;
  if (!twilio) {
    if (!demo) throw new Error('Twilio credentials are required outside demo mode: the channel simulator runs only in the demo');
    const credentials = { accountSid: `AC${randomBytes(16).toString('hex')}`, authToken: randomBytes(16).toString('hex') };
    simulated = new FakeTwilio({ ...credentials, sendStatusCallbacks: true });
    twilio = { ...credentials, apiBaseUrl: await simulated.listen() };
  }
  const client = new TwilioClient({ ...twilio, statusCallbackUrl: (m) => `${context.publicUrl()}${SMS_STATUS_PATH}?outbox=${encodeURIComponent(m.outboxItemId)}` });
  const adapter = new SmsAdapter({
    authToken: twilio.authToken,
    publicUrl: () => context.publicUrl(),
    isKnownNumber: (number) => context.isServiceAddress('sms', number),
    client,
    log: context.log,
    onDeliveryStatus: (update) => context.onDeliveryStatus(update),
  });
  return {
    channel: 'sms',
    sender: adapter,
    simulated,
    routes: [
      {
        method: 'post', path: SMS_INBOUND_PATH, bodyTypes: ['form'],
        handle: async (request) => {
          const response = await adapter.handleInbound(request, (turn) => context.runGateway(turn));
          if (response.status === 200) context.onStored();
          return response;
        },
      },
      { method: 'post', path: SMS_STATUS_PATH, bodyTypes: ['form'], handle: (request) => adapter.handleStatus(request) },
    ],
    close: async () => simulated?.close(),
  };
}
