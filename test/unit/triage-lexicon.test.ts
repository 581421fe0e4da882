import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { TriageEngine } from '../../triage/engine';
import { evaluate, formatFigures, Labelled, THRESHOLDS } from '../../triage/evaluate';
import { LEXICON_PATH, LexiconError, loadLexicon, parseLexicon } from '../../triage/lexicon';
import { computeProtectedWords, protectedWordsFile } from '../../triage/protected-words';
import { PROTECTED_WORDS_PATH } from '../../triage/engine';
import { ServiceTriage } from '../../triage/service-engines';
import { join } from 'node:path';

const lexiconText = readFileSync(LEXICON_PATH, 'utf8');
// The repository's own labelled messages: a fresh clone runs these tests with nothing beside it.
// Any other labelled file is evaluated with `npm run cli -- triage-eval FILE`.
const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'triage');

describe('triage lexicon', () => {
  it('when the lexicon is valid, then the engine builds from it', () => {
    expect(() => TriageEngine.load(loadLexicon())).not.to.throw();
  });

  const broken: [string, string, string, RegExp][] = [
    ['an entry with an unknown field', '  - id: suicide-intent\n', '  - id: suicide-intent\n    colour: red\n', /entry "suicide-intent".*colour/],
    ['an entry with a bad level', "    category: overdose\n    level: high\n", "    category: overdose\n    level: urgent\n", /entry "overdose-taken".*level/],
    ['a pattern naming an unknown class', '"after (taking|swallowing) <big-quantity> ...4 <pills>"', '"took <huge-quantity> <pills>"', /entry "overdose-taken": unknown class <huge-quantity>/],
    ['a raise by an unknown signal', 'raisedBy: [now, soon, plan, means, farewell]', 'raisedBy: [now, tomorrowish]', /raisedBy names no signal "tomorrowish"/],
    ['a several-word alternative without parentheses', '"(do not|can not) see the point"', '"no electric|food ...3 at home|in the house"', /"home\|in" .*phrases run together.* write \(phrase one\|phrase two\)/],
    ['a group made optional the regular-expression way', '"no point ?in (living|being here|being alive)"', '"no point (in )?(living|being here|being alive)"', /"\?" goes before what it makes optional/],
    ['a group inside a group (it would be cut at its first ")")', '"(do not|can not) see the point"', '"(do not|can not (see|find)) the point"', /a group inside a group/],
    ['a combination asking for more parts than it lists', 'atLeast: 3', 'atLeast: 9', /atLeast is more than the parts listed/],
    ['unbalanced parentheses', '"(do not|can not) see the point"', '"(do not|can not see the point"', /unbalanced parentheses/],
    ['YAML that does not parse', 'version: 1\n', 'version: 1\n  - : [\n', /not readable as YAML/],
  ];
  for (const [name, from, to, message] of broken) {
    it(`when it has ${name}, then building stops with a message naming it`, () => {
      expect(lexiconText.includes(from), `test setup: "${from}" not in the lexicon`).to.equal(true);
      expect(() => TriageEngine.load(parseLexicon(lexiconText.replace(from, to), 'test-lexicon.yaml'))).to.throw(LexiconError, message);
    });
  }

  it('protected-words.txt is current for this lexicon (regenerate with node dist/triage/protected-words.js)', function () {
    this.timeout(30_000);
    const engine = new TriageEngine(loadLexicon(), new Set());
    expect(readFileSync(PROTECTED_WORDS_PATH, 'utf8')).to.equal(protectedWordsFile(computeProtectedWords(engine.vocabulary())));
  });
});

/** Every threshold of the triage issue, on a labelled JSON-lines file. */
function expectThresholds(file: string, expectedCount?: number) {
  const items = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Labelled);
  const engine = TriageEngine.load(loadLexicon());
  const figures = evaluate(items, (t) => engine.assess(t));
  const report = formatFigures(figures);
  if (expectedCount !== undefined) expect(items.length, 'the whole file was read').to.equal(expectedCount);
  expect(figures.highScoredHigh, report).to.be.at.least(THRESHOLDS.highScoredHigh.min);
  expect(figures.highFlagged, report).to.be.at.least(THRESHOLDS.highFlagged.min);
  expect(figures.mediumFlagged, report).to.be.at.least(THRESHOLDS.mediumFlagged.min);
  expect(figures.routineScoredHigh, report).to.be.at.most(THRESHOLDS.routineScoredHigh.max);
  expect(figures.routineFlagged, report).to.be.at.most(THRESHOLDS.routineFlagged.max);
}

describe('triage quality', () => {
  it('on our own probe set (written to check generalisation), meets every threshold', () => expectThresholds(join(FIXTURES, 'probes.jsonl'), 755));
  it('on our own disguised set (invisible and look-alike characters, property names), meets every threshold', () => {
    expectThresholds(join(FIXTURES, 'disguised.jsonl'), 48);
  });
  // Both were tuned against after their first runs (figures in triage/README.md): here they guard
  // against a change that loses a class, not as evidence of how triage reads new messages.
  it('on the issue 11 challenge set (a class per line of the issue), meets every threshold', () => expectThresholds(join(FIXTURES, 'challenge.jsonl'), 399));
  it('on the first held-out set, since tuned against, meets every threshold', () => expectThresholds(join(FIXTURES, 'heldout.jsonl'), 270));
  it('on the second held-out set, since tuned against, meets every threshold', () => expectThresholds(join(FIXTURES, 'heldout-2.jsonl'), 216));
  it('on the held-out routine set (300 harmless messages that bait keywords), since tuned against, stays inside the false-alarm bars', () => {
    const items = readFileSync(join(FIXTURES, 'routine-heldout.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Labelled);
    expect(items.length).to.equal(300);
    const engine = TriageEngine.load(loadLexicon());
    const figures = evaluate(items, (t) => engine.assess(t));
    expect(figures.routineScoredHigh, formatFigures(figures)).to.be.at.most(THRESHOLDS.routineScoredHigh.max);
    expect(figures.routineFlagged, formatFigures(figures)).to.be.at.most(THRESHOLDS.routineFlagged.max);
  });
});

describe('per-service lexicon additions', () => {
  it('when a service adds an entry, then it applies to that service only', () => {
    const triage = new ServiceTriage([
      { slug: 'sexual-health', triageAdditions: [{ id: 'chemsex', category: 'substance', level: 'medium', patterns: ['chemsex', 'g and t|tina'] }] },
      { slug: 'school-nursing', triageAdditions: [] },
    ]);
    expect(triage.forService('sexual-health').assess('been doing chemsex most weekends').level).to.equal('medium');
    expect(triage.forService('school-nursing').assess('been doing chemsex most weekends').level).to.equal('none');
    expect(triage.forService('school-nursing').assess('i want to die').level).to.equal('high');
  });
});
