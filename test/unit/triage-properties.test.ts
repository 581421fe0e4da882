import { expect } from 'chai';
import fc from 'fast-check';
import { Assessment, readProtectedWords, TRIAGE_MAX_CHARS, TriageEngine } from '../../triage/engine';
import { LEVELS, loadLexicon, rank } from '../../triage/lexicon';
import { LOOK_ALIKE_LETTERS, normalise } from '../../triage/normalise';
import { OBJECT_PROPERTY_NAMES } from '../support/hostile-text';

const lexicon = loadLexicon();
const engine = new TriageEngine(lexicon, readProtectedWords());
// Past the cap too: the cap bounds the time, but every stage must hold on any length.
const uncapped = new TriageEngine(lexicon, readProtectedWords(), Infinity);

/** Invisible and format characters (Unicode Cf and other default-ignorables). */
const FORMAT_CHARACTERS = ['\u00AD', '\u034F', '\u061C', '\u115F', '\u180E', '\u200B', '\u200C', '\u200D', '\u200E', '\u200F', '\u202A', '\u202E',
  '\u2060', '\u2064', '\u2066', '\u2069', '\u3164', '\uFE0F', '\uFEFF', '\uFFA0', '\u{E0001}', '\u{E0041}', '\u{E007F}', '\u0600', '\u{110BD}'];
const WORDS = ['i', 'want', 'to', 'kill', 'myself', 'die', 'tonight', 'not', 'pills', 'took', '30', 'suicide', 'kms', 'lol', 'my', 'baby',
  'is', 'not', 'breathing', 'im', "i'm", 'd1e', 's*icide', 'k m s', 's.u.i.c.i.d.e', 'killing', 'me', 'goodbye', '💊', '😭', 'but', 'last year'];
const LOOK_ALIKES = [...LOOK_ALIKE_LETTERS.keys()];

/** Text as hostile as a sender can make it: any code point, lone surrogates, format characters, object property names. */
const hostileUnit = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: fc.constantFrom(...FORMAT_CHARACTERS) },
  { weight: 2, arbitrary: fc.constantFrom(...LOOK_ALIKES) },
  { weight: 1, arbitrary: fc.constantFrom('\u0301', '\u0316', '\u0489', '👩🏽', '🏳️‍🌈', '\uFDFA', 'ﬁ', '½', '㏂', '⑴') },
  { weight: 3, arbitrary: fc.constantFrom(' ', ' ', '.', '!', '?', ',', '*', "'", '’', '1', '0', '@', '$', '|', '+', '-', '\n') },
  { weight: 4, arbitrary: fc.constantFrom(...WORDS, ...OBJECT_PROPERTY_NAMES).map((w) => ` ${w}`) },
);
const hostileText = fc.string({ unit: hostileUnit, maxLength: 120 });

/** The contract of an assessment, whatever the text. */
function expectWellFormed(text: string, assessment: Assessment): void {
  expect(LEVELS).to.include(assessment.level);
  let highest = 'none' as (typeof LEVELS)[number];
  for (const reason of assessment.reasons) {
    expect(LEVELS).to.include(reason.level);
    expect(reason.category).to.be.a('string').and.not.equal('');
    expect(reason.rule).to.be.a('string').and.not.equal('');
    expect(Number.isInteger(reason.start) && Number.isInteger(reason.end), 'integer span').to.equal(true);
    expect(reason.start).to.be.at.least(0);
    expect(reason.end).to.be.at.least(reason.start).and.at.most(text.length);
    expect(reason.phrase).to.equal(text.slice(reason.start, reason.end));
    if (rank(reason.level) > rank(highest)) highest = reason.level;
  }
  expect(assessment.level, 'the level is the highest reason').to.equal(highest);
}

describe('triage properties (fast-check)', () => {
  it('any text gets a level, and every reason points inside the text at what it quotes', () => {
    fc.assert(fc.property(hostileText, (text) => expectWellFormed(text, engine.assess(text))), { numRuns: 1500 });
  });

  it('JavaScript property names anywhere in a message are words like any other', () => {
    const words = fc.array(fc.constantFrom(...OBJECT_PROPERTY_NAMES, ...WORDS, '.', '!'), { maxLength: 30 });
    fc.assert(fc.property(words, fc.constantFrom(' ', '', "'", '*', '.'), (parts, glue) => {
      const text = parts.join(glue === '' ? ' ' : `${glue} `);
      expectWellFormed(text, engine.assess(text));
    }), { numRuns: 500 });
  });

  it('invisible characters slipped anywhere into "i want to kill myself" do not hide it', () => {
    const phrase = 'i want to kill myself';
    const insertions = fc.array(fc.tuple(fc.integer({ min: 1, max: phrase.length - 1 }), fc.constantFrom(...FORMAT_CHARACTERS)), { minLength: 1, maxLength: 8 });
    fc.assert(fc.property(insertions, (inserts) => {
      let text = phrase;
      for (const [at, character] of [...inserts].sort((a, b) => b[0] - a[0])) text = text.slice(0, at) + character + text.slice(at);
      const assessment = engine.assess(text);
      expectWellFormed(text, assessment);
      expect(assessment.level, JSON.stringify(text)).to.equal('high');
    }), { numRuns: 500 });
  });

  it('look-alike letters swapped in anywhere do not hide risk', () => {
    const byLatin = new Map<string, string[]>();
    for (const [from, to] of LOOK_ALIKE_LETTERS) byLatin.set(to, [...(byLatin.get(to) ?? []), from]);
    const phrase = 'i want to kill myself';
    fc.assert(fc.property(fc.array(fc.nat(), { minLength: phrase.length, maxLength: phrase.length }), (choices) => {
      const text = [...phrase].map((c, i) => {
        const swaps = byLatin.get(c) ?? [];
        return choices[i] % 2 === 0 && swaps.length ? swaps[choices[i] % swaps.length] : c;
      }).join('');
      expect(engine.assess(text).level, JSON.stringify(text)).to.equal('high');
    }), { numRuns: 300 });
  });

  it('normalisation maps every character of what the engine reads to whole characters of the original, in order', () => {
    fc.assert(fc.property(hostileText, (original) => {
      const { text, originalSpan } = normalise(original);
      let previous = { start: 0, end: 0 };
      for (let i = 0; i < text.length; i++) {
        const span = originalSpan(i, i + 1);
        expect(span.start, 'in order').to.be.at.least(previous.start);
        expect(span.end).to.be.above(span.start).and.at.most(original.length);
        // One original character gives one or more normalised ones; different ones never overlap.
        if (span.start !== previous.start) expect(span.start).to.be.at.least(previous.end);
        previous = span;
      }
    }), { numRuns: 500 });
  });

  describe('100 KB messages', () => {
    const KB100 = 100_000;
    const longText = fc.oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }).map((c) => c.repeat(Math.ceil(KB100 / c.length)).slice(0, KB100)),
      fc.constantFrom(...WORDS, ...OBJECT_PROPERTY_NAMES).map((w) => `${w} `.repeat(Math.ceil(KB100 / (w.length + 1)))),
      fc.array(fc.constantFrom(...WORDS, ...OBJECT_PROPERTY_NAMES, '.'), { minLength: 200, maxLength: 200 }).map((ws) => ws.join(' ').repeat(Math.ceil(KB100 / 1000)).slice(0, KB100)),
      fc.string({ unit: hostileUnit, minLength: 500, maxLength: 500 }).map((s) => s.repeat(Math.ceil(KB100 / Math.max(1, s.length))).slice(0, KB100)),
    );

    it('get a level and well-formed reasons, read up to the cap', () => {
      fc.assert(fc.property(longText, (text) => {
        const assessment = engine.assess(text);
        expectWellFormed(text, assessment);
        for (const reason of assessment.reasons) expect(reason.end).to.be.at.most(TRIAGE_MAX_CHARS);
        if (text.length > TRIAGE_MAX_CHARS) expect(assessment.reasons.map((r) => r.category)).to.include('triage-unread');
      }), { numRuns: 20 });
    });

    it('get a level and well-formed reasons when read whole (past the cap)', () => {
      fc.assert(fc.property(longText, (text) => expectWellFormed(text, uncapped.assess(text))), { numRuns: 8 });
    });
  });
});
