import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MalformedEnvelopeError, parseEnvelope, WhatsAppEvent } from '../../adapters/whatsapp/envelope';
import { FakeGraphApi } from '../../adapters/whatsapp/fake';

const fixture = (name: string): Buffer => readFileSync(join(__dirname, '../../../adapters/whatsapp/fixtures', `${name}.json`));

const SERVICE = '100000000000101';
const CONTACT = '447700900555';
const SENT_WAMID = 'wamid.HBgMNDQ3NzAwOTAwNTU1FQIAERgSQjAwMDAwMDAwMDAwMDAwMDAxAA==';

describe('WhatsApp webhook envelopes: every fixture', () => {
  const inbound = (id: string, seconds: number, kind: string, text: string) => ({
    type: 'message', providerMessageId: `wamid.${id}`, from: CONTACT, to: SERVICE, timestamp: seconds * 1000, kind, text, profileName: 'Sam Example',
  });

  const expected: [string, WhatsAppEvent[]][] = [
    ['inbound__text', [inbound('HBgMNDQ3NzAwOTAwNTU1FQIAEhgUM0EwMDAwMDAwMDAwMDAwMDAwMDEA', 1767225600, 'text', 'hi can i ask about contraception')] as WhatsAppEvent[]],
    ['inbound__image', [inbound('HBgMNDQ3NzAwOTAwNTU1FQIAEhgUM0EwMDAwMDAwMDAwMDAwMDAwMDIA', 1767225660, 'image', '[image] is this rash normal')] as WhatsAppEvent[]],
    ['inbound__audio', [inbound('HBgMNDQ3NzAwOTAwNTU1FQIAEhgUM0EwMDAwMDAwMDAwMDAwMDAwMDMA', 1767225720, 'audio', '[audio]')] as WhatsAppEvent[]],
    ['inbound__location', [inbound('HBgMNDQ3NzAwOTAwNTU1FQIAEhgUM0EwMDAwMDAwMDAwMDAwMDAwMDQA', 1767225780, 'location', '[location]')] as WhatsAppEvent[]],
    ['inbound__interactive_button_reply', [inbound('HBgMNDQ3NzAwOTAwNTU1FQIAEhgUM0EwMDAwMDAwMDAwMDAwMDAwMDUA', 1767225840, 'interactive', 'Call me back')] as WhatsAppEvent[]],
    ['inbound__two_messages_two_entries', [
      inbound('HBgMNDQ3NzAwOTAwNTU1FQIAEhgUM0EwMDAwMDAwMDAwMDAwMDAwMDYA', 1767225900, 'text', 'first message'),
      inbound('HBgMNDQ3NzAwOTAwNTU1FQIAEhgUM0EwMDAwMDAwMDAwMDAwMDAwMDcA', 1767225901, 'text', 'second message'),
      { ...inbound('HBgMNDQ3NzAwOTAwNTU2FQIAEhgUM0EwMDAwMDAwMDAwMDAwMDAwMDgA', 1767225902, 'text', 'hello health visiting'), from: '447700900556', to: '100000000000102', profileName: 'Alex Example' },
    ] as WhatsAppEvent[]],
    ['status__sent', [{ type: 'status', providerMessageId: SENT_WAMID, status: 'sent', recipient: CONTACT, phoneNumberId: SERVICE, timestamp: 1767225960_000 }]],
    ['status__delivered', [{ type: 'status', providerMessageId: SENT_WAMID, status: 'delivered', recipient: CONTACT, phoneNumberId: SERVICE, timestamp: 1767225961_000 }]],
    ['status__read', [{ type: 'status', providerMessageId: SENT_WAMID, status: 'read', recipient: CONTACT, phoneNumberId: SERVICE, timestamp: 1767225990_000 }]],
    ['status__failed', [{ type: 'status', providerMessageId: SENT_WAMID, status: 'failed', recipient: CONTACT, phoneNumberId: SERVICE, timestamp: 1767226020_000, errorCode: '131047', errorTitle: 'Re-engagement message' }]],
  ];

  for (const [name, events] of expected) {
    it(`when Meta posts ${name}.json, then it becomes ${events.length} provider-free event(s)`, () => {
      expect(parseEnvelope(fixture(name))).to.deep.equal(events);
    });
  }
});

describe('WhatsApp webhook envelopes: what the module does not know is named, not dropped', () => {
  const fake = new FakeGraphApi({ accessToken: 't', appSecret: 's' });

  it('when a change is not a messages change, then it is an unsupported event naming the field', () => {
    const envelope = { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'account_update', value: { event: 'VERIFIED_ACCOUNT' } }] }] };
    expect(parseEnvelope(JSON.stringify(envelope))).to.deep.equal([{ type: 'unsupported', what: 'change "account_update"' }]);
  });

  it('when a message type is new to us (e.g. order), then it is an unsupported message that keeps its id for de-duplication', () => {
    const envelope = fake.inboundText({ from: CONTACT, to: SERVICE, text: 'x', wamid: 'wamid.order1' });
    const message = envelope.entry[0].changes[0].value.messages as Record<string, unknown>[];
    delete message[0].text;
    message[0].type = 'order';
    message[0].order = { catalog_id: '1', product_items: [] };
    const [event] = parseEnvelope(JSON.stringify(envelope));
    expect(event).to.include({ type: 'message', providerMessageId: 'wamid.order1', kind: 'unsupported', text: '[unsupported message]', providerType: 'order' });
  });

  it('when a status is one we do not track (e.g. deleted), then it is an unsupported event', () => {
    const envelope = fake.status({ wamid: 'wamid.x', status: 'sent', recipient: CONTACT, phoneNumberId: SERVICE });
    (envelope.entry[0].changes[0].value.statuses as Record<string, unknown>[])[0].status = 'deleted';
    expect(parseEnvelope(JSON.stringify(envelope))).to.deep.equal([{ type: 'unsupported', what: 'status "deleted"', phoneNumberId: SERVICE }]);
  });

  it('when the fake builds media, reaction-free envelopes, then they parse to the same shape as the fixtures', () => {
    const [event] = parseEnvelope(JSON.stringify(fake.inboundMedia('document', { from: CONTACT, to: SERVICE, caption: 'my letter', at: 1767225600_000 })));
    expect(event).to.include({ kind: 'document', text: '[document] my letter', from: CONTACT, to: SERVICE, timestamp: 1767225600_000 });
  });
});

describe('WhatsApp webhook envelopes: hostile text is data', () => {
  const fake = new FakeGraphApi({ accessToken: 't', appSecret: 's' });
  for (const hostile of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '<script>alert(1)</script>']) {
    it(`when a contact texts ${JSON.stringify(hostile)}, then it passes through as the text and pollutes nothing`, () => {
      const [event] = parseEnvelope(JSON.stringify(fake.inboundText({ from: CONTACT, to: SERVICE, text: hostile })));
      expect(event).to.include({ kind: 'text', text: hostile });
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    });
  }

  it('when the envelope carries __proto__ keys and a hostile profile name, then nothing reaches Object.prototype', () => {
    const raw = JSON.stringify(fake.inboundText({ from: CONTACT, to: SERVICE, text: 'hi', profileName: '__proto__' }))
      .replace('"messaging_product"', '"__proto__":{"polluted":"yes"},"messaging_product"');
    const [event] = parseEnvelope(raw);
    expect(event).to.include({ text: 'hi', profileName: '__proto__' });
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it('when a button reply title is "constructor", then it is the text', () => {
    const envelope = fake.inboundText({ from: CONTACT, to: SERVICE, text: 'x' });
    const message = (envelope.entry[0].changes[0].value.messages as Record<string, unknown>[])[0];
    delete message.text;
    message.type = 'interactive';
    message.interactive = { type: 'button_reply', button_reply: { id: 'constructor', title: 'constructor' } };
    expect(parseEnvelope(JSON.stringify(envelope))[0]).to.include({ kind: 'interactive', text: 'constructor' });
  });
});

describe('WhatsApp webhook envelopes: malformed bodies are refused', () => {
  const good = JSON.parse(fixture('inbound__text').toString());
  const variants: [string, string][] = [
    ['not JSON', '{"object":'],
    ['JSON but not an object', '[]'],
    ['another object type', JSON.stringify({ ...good, object: 'page' })],
    ['no entries', JSON.stringify({ object: 'whatsapp_business_account', entry: [] })],
    ['a messages change without metadata', JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', messages: [] } }] }] })],
    ['a text message without text.body', fixture('inbound__text').toString().replace('"body": "hi can i ask about contraception"', '"bodee": "x"')],
    ['a message without an id', fixture('inbound__text').toString().replace('"id": "wamid.', '"idx": "wamid.')],
    ['a sender that is not digits', fixture('inbound__text').toString().replace('"from": "447700900555"', '"from": "+44 7700 900555"')],
    ['a timestamp that is not Unix seconds', fixture('inbound__text').toString().replace('"timestamp": "1767225600"', '"timestamp": "yesterday"')],
    ['an image without its image object', fixture('inbound__image').toString().replace('"image": {', '"imagex": {')],
  ];
  for (const [name, raw] of variants) {
    it(`when the body is ${name}, then MalformedEnvelopeError (the route answers 400)`, () => {
      expect(() => parseEnvelope(raw)).to.throw(MalformedEnvelopeError);
    });
  }

  it('when it refuses, then the error names paths, never the contact\'s words or number', () => {
    const raw = fixture('inbound__text').toString().replace('"timestamp": "1767225600"', '"timestamp": "yesterday"');
    try {
      parseEnvelope(raw);
      expect.fail('should have thrown');
    } catch (error) {
      expect((error as Error).message).to.not.contain('447700900555').and.not.contain('contraception').and.not.contain('yesterday');
    }
  });
});
