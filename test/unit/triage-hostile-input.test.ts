import { expect } from 'chai';
import { TRIAGE_MAX_CHARS, TriageEngine } from '../../triage/engine';
import { LEVELS, loadLexicon } from '../../triage/lexicon';
import { OBJECT_PROPERTY_NAMES } from '../support/hostile-text';

const engine = TriageEngine.load(loadLexicon());

describe('triage: text that names JavaScript object properties', () => {
  for (const name of OBJECT_PROPERTY_NAMES) {
    for (const text of [name, `${name}'s`, `${name}*`, `${name}.`, `i want to die ${name}`, `${name} i want to die`, name.toUpperCase()]) {
      it(`"${text}" gets a level`, () => {
        const { level, reasons } = engine.assess(text);
        expect(LEVELS).to.include(level);
        if (text.includes('want to die')) expect(level).to.equal('high');
        for (const reason of reasons) expect(text.slice(reason.start, reason.end)).to.equal(reason.phrase);
      });
    }
  }
});

describe('triage: very long words', () => {
  it('reads a long run of one repeated letter as the word it stretches', () => {
    expect(engine.assess(`i want to ki${'l'.repeat(200)} myself`).level).to.equal('high');
    expect(engine.assess(`i want to d${'i'.repeat(5000)}e`).level).to.equal('high');
  });

  it('reads risk next to a word far longer than any real one', () => {
    const text = `${'x'.repeat(5000)} i want to die ${'ab'.repeat(2000)}`;
    const reason = engine.assess(text).reasons.find((r) => r.level === 'high')!;
    expect(text.slice(reason.start, reason.end)).to.equal('want to die');
  });
});

describe('triage: risk hidden behind invisible or look-alike characters', () => {
  const hidden: [string, string, string][] = [
    ['a zero-width space inside a word', 'k\u200Bill myself', 'k\u200Bill myself'],
    ['a soft hyphen inside a word', 'ki\u00ADll myself', 'ki\u00ADll myself'],
    ['a word joiner and a byte-order mark', 'i want to k\u2060i\uFEFFll myself', 'k\u2060i\uFEFFll myself'],
    ['a zero-width space between every letter', 'k\u200Bi\u200Bl\u200Bl m\u200By\u200Bs\u200Be\u200Bl\u200Bf', 'k\u200Bi\u200Bl\u200Bl m\u200By\u200Bs\u200Be\u200Bl\u200Bf'],
    ['a Cyrillic і', 'kіll myself', 'kіll myself'],
    ['Cyrillic and Greek letters throughout', 'і wаnt tο dіе', 'wаnt tο dіе'],
    ['upper-case look-alikes', 'I WANT TO DΙΕ', 'WANT TO DΙΕ'],
    ['fullwidth letters', 'ｋｉｌｌ ｍｙｓｅｌｆ', 'ｋｉｌｌ ｍｙｓｅｌｆ'],
    ['mathematical bold letters (outside the Basic Multilingual Plane)', 'i want to 𝐤𝐢𝐥𝐥 𝐦𝐲𝐬𝐞𝐥𝐟', '𝐤𝐢𝐥𝐥 𝐦𝐲𝐬𝐞𝐥𝐟'],
    ['small capitals from a "fancy text" generator', 'ᴋɪʟʟ ᴍʏsᴇʟғ', 'ᴋɪʟʟ ᴍʏsᴇʟғ'],
    ['a right-to-left override', 'i want to \u202Ekill myself\u202C', 'kill myself'],
    ['an emoji selector and a joiner after a letter (found by the property test)', 'i want to kill mys\uFE0F\u200Delf', 'kill mys\uFE0F\u200Delf'],
  ];
  for (const [name, text, phrase] of hidden) {
    it(`${name}: ${JSON.stringify(text)} is high, pointing at the characters as typed`, () => {
      const { level, reasons } = engine.assess(text);
      expect(level).to.equal('high');
      const reason = reasons.find((r) => r.level === 'high')!;
      expect(reason.phrase).to.equal(phrase);
      expect(text.slice(reason.start, reason.end)).to.equal(phrase);
    });
  }

  it('a zero-width space between two words still separates them', () => {
    const text = 'i want to kill\u200Bmyself';
    const reason = engine.assess(text).reasons[0];
    expect(reason).to.include({ level: 'high', phrase: 'kill\u200Bmyself', start: 10, end: 21 });
  });

  // Found by fuzzing the probe set: "crashing" is no lexicon word, but its stem is.
  for (const text of ['i keep thinking about cra\u200Bshing my car into a wall on purpose', 'i keep cu\u200Btting myself', 'thinking about ha\u200Bnging myself']) {
    it(`a zero-width space inside an inflected word does not split it: ${JSON.stringify(text)}`, () => {
      expect(engine.assess(text).level).to.equal(engine.assess(text.replace(/\u200B/g, '')).level).and.not.equal('none');
    });
  }

  it('a word stretched by combining marks ("zalgo") is read, its span keeping every mark', () => {
    const zalgo = [...'kill'].map((c) => c + '\u0301\u0316\u0489'.repeat(30)).join('');
    const text = `i want to ${zalgo} myself`;
    const reason = engine.assess(text).reasons[0];
    expect(reason.level).to.equal('high');
    expect(reason.phrase).to.equal(`${zalgo} myself`);
  });

  // Folding look-alikes turns Cyrillic and Greek into Latin-looking nonsense; it must not turn everyday messages into risk.
  const ordinary = [
    'Привет, как дела? Я сегодня в школе.',
    'Мне нужна помощь с домашним заданием',
    'мама папа кот рот сок нет тема вор ром кто курс море сон око рука',
    'Доброго ранку, я хочу записатися до медсестри',
    'Καλημέρα, τι κάνεις; Είμαι στο σχολείο.',
    'Σε αγαπώ πολύ, καληνύχτα',
  ];
  for (const text of ordinary) it(`"${text}" stays routine`, () => expect(engine.assess(text).level).to.equal('none'));
});

describe('triage: messages longer than TRIAGE_MAX_CHARS', () => {
  const filler = (length: number) => 'blah '.repeat(Math.ceil(length / 5)).slice(0, length);

  it('reads a message up to the cap whole', () => {
    const text = `${filler(TRIAGE_MAX_CHARS - 20)} i want to die`;
    expect(text.length).to.be.at.most(TRIAGE_MAX_CHARS);
    expect(engine.assess(text)).to.have.property('level', 'high');
    expect(engine.assess(text).reasons.map((r) => r.category)).not.to.include('triage-unread');
  });

  it('finds risk in the part it reads, and says where reading stopped', () => {
    const text = `i want to die ${filler(TRIAGE_MAX_CHARS * 3)}`;
    const { level, reasons } = engine.assess(text);
    expect(level).to.equal('high');
    expect(reasons[reasons.length - 1]).to.deep.include({ category: 'triage-unread', level: 'medium', start: TRIAGE_MAX_CHARS, end: TRIAGE_MAX_CHARS, phrase: '' });
  });

  it('never calls a message it did not read to the end routine: the unread rest makes it medium', () => {
    const { level, reasons } = engine.assess(`${filler(TRIAGE_MAX_CHARS)} i want to die`);
    expect(level).to.equal('medium');
    expect(reasons.map((r) => r.category)).to.deep.equal(['triage-unread']);
  });

  it('does not cut a character in two at the cap', () => {
    const text = `${'x'.repeat(TRIAGE_MAX_CHARS - 1)}😭 and more`;
    const unread = engine.assess(text).reasons.find((r) => r.category === 'triage-unread')!;
    expect(unread.start).to.equal(TRIAGE_MAX_CHARS - 1);
  });
});
