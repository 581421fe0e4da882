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
