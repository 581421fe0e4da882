import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ConfigError, DEMO_CONFIG_PATH, loadConfig, parseConfig, retentionYears } from '../../bot/config/services';

const demoText = readFileSync(DEMO_CONFIG_PATH, 'utf8');
const broken = (from: string, to: string) => {
  if (!demoText.includes(from)) throw new Error(`test setup: "${from}" is not in the demo config`);
  return () => parseConfig(demoText.replace(from, to), 'test.yaml');
};

describe('services config', () => {
  it('when the demo config is loaded, then it has the three demo services with the contract identities', () => {
    const config = loadConfig();
    expect(config.services.map((s) => [s.slug, s.channels.sms, s.channels.whatsapp, s.channels.webchat])).to.deep.equal([
      ['school-nursing', '+447700900101', '100000000000101', 'school-nursing'],
      ['health-visiting', '+447700900102', '100000000000102', 'health-visiting'],
      ['sexual-health', '+447700900103', '100000000000103', 'sexual-health'],
    ]);
    expect(config.services[0].autoReplyIntervalMinutes).to.equal(720);
  });

  it('retention: children\'s records until the youngest contact would turn 25 (26 at 17), adults 8 years, mental health 20; the audit trail a year beyond the longest', () => {
    expect(retentionYears({ records: 'children', youngestAge: 11 })).to.equal(14);
    expect(retentionYears({ records: 'children', youngestAge: 0 })).to.equal(25);
    expect(retentionYears({ records: 'children', youngestAge: 17 })).to.equal(9);
    expect(retentionYears({ records: 'adults' })).to.equal(8);
    expect(retentionYears({ records: 'mental-health' })).to.equal(20);
    const config = loadConfig();
    expect(config.services.map((s) => retentionYears(s.retention))).to.deep.equal([14, 25, 12]);
    expect(config.governance).to.deep.equal({ auditYears: 26, webchatBufferDays: 30 });
  });

  it('retention: a service must say its records, children\'s need the youngest age, and an audit period no longer than the records is refused', () => {
    expect(broken('      records: children\n      youngestAge: 11\n', '')).to.throw(ConfigError, /services\[0\]\.retention: Required|services\[0\]\.retention/);
    expect(broken('      records: children\n      youngestAge: 11\n', '      records: children\n')).to.throw(ConfigError, /youngestAge/);
    expect(broken('      records: children\n      youngestAge: 11\n', '      records: adults\n      youngestAge: 11\n')).to.throw(ConfigError, /youngestAge/);
    expect(broken('  webchatBufferDays: 30\n', '  webchatBufferDays: 30\n  auditYears: 25\n')).to.throw(ConfigError, /governance\.auditYears: must be longer than the longest service retention \(25 years\)/);
  });

  it('when a field is unknown, then the error names it and where it is', () => {
    expect(broken('    audience: young-people', '    audience: young-people\n    colour: blue')).to.throw(ConfigError, /services\[0\].*colour/);
  });

  it('when an opening time is not a time, then the error names the day', () => {
    expect(broken('monday: ["09:00-17:00"]', 'monday: ["9am-5pm"]')).to.throw(ConfigError, /services\[0\]\.hours\.monday\[0\]: must look like "09:00-17:00"/);
  });

  it('when a window ends before it starts, then it is refused', () => {
    expect(broken('tuesday: ["09:00-17:00"]', 'tuesday: ["17:00-09:00"]')).to.throw(ConfigError, /hours\.tuesday\[0\]: must end after it starts/);
  });

  it('when two services share an SMS number, then the duplicate is named', () => {
    expect(broken('sms: "+447700900102"', 'sms: "+447700900101"')).to.throw(ConfigError, /duplicate SMS number \+447700900101 \(also used by services\[0\]\)/);
  });

  it('when an auto-reply uses an unknown placeholder, then the error lists the known ones', () => {
    expect(broken('{nextOpening}. If you need help now', '{opensAt}. If you need help now')).to.throw(ConfigError, /unknown placeholder \{opensAt\}/);
  });

  it('when a WhatsApp reply template is configured, then name, language and parameters are checked as Meta would', () => {
    const template = loadConfig().services[0].whatsapp!.replyTemplate!;
    expect(template).to.include({ name: 'lamplight_reply', language: 'en_GB' });
    expect(template.parameters).to.deep.equal(['{service}', '{reply}']);
    expect(broken('has replied to your message: {{2}}', 'has replied to your message: {{3}}')).to.throw(ConfigError, /replyTemplate\.body: must use \{\{1\}\} to \{\{2\}\}/);
    expect(broken('name: lamplight_reply', 'name: Lamplight Reply')).to.throw(ConfigError, /replyTemplate\.name: must be the template name as approved/);
    expect(broken('language: en_GB', 'language: English')).to.throw(ConfigError, /replyTemplate\.language: must be a language code/);
    expect(broken('parameters: ["{service}", "{reply}"]', 'parameters: ["{service}"]')).to.throw(ConfigError, /replyTemplate\.parameters: exactly one parameter must hold \{reply\}/);
    expect(broken('parameters: ["{service}", "{reply}"]', 'parameters: ["{service}", "{reply}", "{name}"]')).to.throw(ConfigError, /unknown placeholder \{name\}/);
    expect(broken('parameters: ["{service}", "{reply}"]', 'parameters: ["{service}\\n", "{reply}"]')).to.throw(ConfigError, /must not contain newlines/);
  });

  it('when a WhatsApp phone-number id is not digits, or WhatsApp settings come without one, then the start is refused naming it', () => {
    expect(broken('whatsapp: "100000000000101"', 'whatsapp: "+447700900101"')).to.throw(ConfigError, /services\[0\]\.channels\.whatsapp: must be the WhatsApp phone-number id/);
    expect(broken('      whatsapp: "100000000000101"\n', '')).to.throw(ConfigError, /services\[0\]\.whatsapp: WhatsApp settings need channels\.whatsapp/);
  });

  it('when a service writes no "text only" reply, then the built-in one is used; a reply snippet must fit every channel the service has', () => {
    expect(loadConfig().services[0].autoReplies.textOnly).to.contain('can only read typed words');
    const long = 'x'.repeat(1700);
    expect(broken("text: Hi, I'm one of the school nurses.", `text: ${long} Hi, I'm one of the school nurses.`)).to.throw(ConfigError, /templates\[0\]\.text: is \d+ characters; a reply on this service's channels can be at most 1600/);
  });

  it('when the file is not YAML, then it says so', () => {
    expect(() => parseConfig('services: [unclosed', 'x.yaml')).to.throw(ConfigError, /not readable as YAML/);
  });

  it('when the file does not exist, then the path is in the message', () => {
    expect(() => loadConfig('/nonexistent/services.yaml')).to.throw(ConfigError, /\/nonexistent\/services\.yaml/);
  });
});
