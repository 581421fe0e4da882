import { expect } from 'chai';
import { TriageEngine } from '../../triage/engine';
import { LEVELS, loadLexicon } from '../../triage/lexicon';

const engine = TriageEngine.load(loadLexicon());

/** Names every plain JavaScript object answers to: a lookup keyed by user text must not see them. */
export const OBJECT_PROPERTY_NAMES = [
  'constructor', '__proto__', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', 'toLocaleString', 'isPrototypeOf',
  'propertyIsEnumerable', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__',
];

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
