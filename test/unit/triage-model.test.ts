import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTriageEngine } from '../../triage';
import type { Assessment } from '../../triage';
import { features, MODEL_PATH, ModelWeights, SecondOpinion, trainModel } from '../../triage/second-opinion';

const CORPUS = join(__dirname, '..', '..', '..', 'triage', 'model', 'corpus.jsonl');
const corpus = () => readFileSync(CORPUS, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { text: string; label: 'none' | 'medium' | 'high' });

/** A model that is sure of everything, to see what the review may and may not do. */
const certain = (level: 0 | 1 | 2): SecondOpinion => new SecondOpinion({
  version: 1, weights: {}, bias: [level === 0 ? 50 : 0, level === 1 ? 50 : 0, level === 2 ? 50 : 0], thresholds: { flag: 0.6, high: 0.6 }, trainedOn: 0, validation: {},
});
const rules = (level: Assessment['level']): Assessment => ({ level, reasons: level === 'none' ? [] : [{ category: 'x', level, phrase: 'x', start: 0, end: 1, rule: 'x' }] });

describe('triage: the second opinion (the model)', () => {
  it('raises one step at most, never lowers, and says it was the model', () => {
    expect(certain(2).review(rules('none'), 'anything').level).to.equal('medium');
    expect(certain(2).review(rules('medium'), 'anything').level).to.equal('high');
    expect(certain(0).review(rules('high'), 'anything').level).to.equal('high');
    expect(certain(0).review(rules('medium'), 'anything').level).to.equal('medium');
    const raised = certain(1).review(rules('none'), 'anything');
    expect(raised.reasons.at(-1)).to.include({ category: 'model', rule: 'model', level: 'medium' });
    expect(raised.reasons.at(-1)!.why).to.match(/second opinion/);
    // A triage failure stays as it is: the model does not add to it.
    const failed: Assessment = { level: 'high', reasons: [{ category: 'triage-failed', level: 'high', phrase: '', start: 0, end: 0, rule: 'triage-failed' }] };
    expect(certain(2).review(failed, 'x')).to.equal(failed);
  });

  it('reads words and word pairs, and user text is never a key into a plain object', () => {
    expect(features('I want to DIE')).to.include.members(['w:i', 'w:want', 'w:die', 'b:want to', 'b:to die']);
    const model = new SecondOpinion(JSON.parse(readFileSync(MODEL_PATH, 'utf8')) as ModelWeights);
    for (const text of ['constructor', '__proto__ toString', 'hasOwnProperty valueOf']) {
      const p = model.probabilities(text);
      expect(p.every((x) => Number.isFinite(x))).to.equal(true);
    }
  });

  it('trains the same weights from the same corpus (seeded), and the committed weights are the corpus\'s', () => {
    const items = corpus();
    const once = trainModel(items);
    const twice = trainModel(items);
    expect(twice.thresholds).to.deep.equal(once.thresholds);
    expect(twice.bias).to.deep.equal(once.bias);
    const committed = JSON.parse(readFileSync(MODEL_PATH, 'utf8')) as ModelWeights;
    expect(committed.trainedOn, 'retrain with npm run cli -- triage-train after changing the corpus').to.equal(items.length);
    expect(committed.thresholds).to.deep.equal(once.thresholds);
  });

  it('with the committed weights, everyday messages stay routine and the rules\' verdicts stand', () => {
    const engine = buildTriageEngine();
    for (const text of ['can i get the flu jab at school', 'how do i book a drop in', 'my mum will be so cross if i miss the bus', 'is it normal to have a late period', 'this homework is killing me']) {
      expect(engine.assess(text).level, text).to.equal('none');
    }
    expect(engine.assess('i want to kill myself tonight').level).to.equal('high');
  });
});
