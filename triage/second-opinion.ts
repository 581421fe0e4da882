import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Assessment, Reason } from './engine';
import type { Level } from './lexicon';
import { normalise } from './normalise';

/**
 * The second opinion (issue 11): a small multinomial logistic regression over the words and word
 * pairs of a message, trained from the labelled corpus we wrote (`triage/model/corpus.jsonl`, its
 * guide beside it). It may only RAISE the rules' verdict, one step (none to medium, medium to
 * high), and only when confident; it never lowers one, and its reason says "model" so a clinician
 * can see that no rule matched. Weights are trained offline (`npm run cli -- triage-train`) and
 * committed; reading a message costs a few dozen lookups.
 */

export const MODEL_PATH = join(__dirname, '..', '..', 'triage', 'model', 'weights.json');
const LEVELS: Level[] = ['none', 'medium', 'high'];

export interface ModelWeights {
  version: 1;
  /** Feature -> weight per level (none, medium, high). Only features seen in training are kept. */
  weights: Record<string, [number, number, number]>;
  bias: [number, number, number];
  /**
   * Raise none to medium when P(medium or high) reaches `flag`; medium to high when P(high)
   * reaches `high`. Chosen by the trainer on a held-back part of the corpus.
   */
  thresholds: { flag: number; high: number };
  trainedOn: number;
  /** How the thresholds did on the held-back part: for the README, not used at run time. */
  validation: Record<string, number>;
}

/** The words and word pairs of a message, as the model reads them: normalised, lower case, no punctuation. */
export function features(text: string): string[] {
  return featuresOfNormalised(normalise(text.slice(0, MODEL_MAX_CHARS)).text);
}

/** The most characters the model reads (a long message is read by the rules in full). */
const MODEL_MAX_CHARS = 2000;
const SEPARATORS = /[^a-z0-9\u00c0-\uffff]+/;

/** The same, for text the engine has already normalised (it reads every message once). */
export function featuresOfNormalised(normalised: string): string[] {
  const words = normalised.slice(0, MODEL_MAX_CHARS).toLowerCase().replace(/'/g, '').split(SEPARATORS);
  const out = new Set<string>();
  let previous = '';
  for (const word of words) {
    if (!word) continue;
    out.add(`w:${word}`);
    if (previous) out.add(`b:${previous} ${word}`);
    previous = word;
  }
  return [...out];
}

export class SecondOpinion {
  private readonly weights: Map<string, [number, number, number]>;

  constructor(readonly model: ModelWeights) {
    this.weights = new Map(Object.entries(model.weights));
  }

  static load(path = MODEL_PATH): SecondOpinion | undefined {
    if (!existsSync(path)) return undefined;
    return new SecondOpinion(JSON.parse(readFileSync(path, 'utf8')) as ModelWeights);
  }

  /** P(none), P(medium), P(high) for a message (`normalised`: the engine's normalised text, when it has it). */
  probabilities(text: string, normalised?: string): [number, number, number] {
    return softmax(score(this.weights, this.model.bias, normalised === undefined ? features(text) : featuresOfNormalised(normalised)));
  }

  /**
   * The rules' assessment, raised one step when the model is confident; never lowered. It speaks
   * where no rule matched at all (none to medium), or to raise a medium to high.
   */
  review(assessment: Assessment, text: string, normalised?: string): Assessment {
    if (assessment.level === 'high' || assessment.reasons.some((r) => r.rule === 'triage-failed')) return assessment;
    // Where a rule matched and a modifier lowered it away (negated, figurative, an accident, a
    // joke, the past), the rules have read that phrase: the model, which reads no negation, does not overrule them.
    if (assessment.level === 'none' && assessment.reasons.length > 0) return assessment;
    // Likewise where a modifier set the level on purpose ("i don't know if i want to live" is a question to ask, medium).
    if (assessment.reasons.some((r) => r.why !== undefined)) return assessment;
    const [, medium, high] = this.probabilities(text, normalised);
    const raiseTo: Level | undefined = assessment.level === 'none'
      ? (medium + high >= this.model.thresholds.flag ? 'medium' : undefined)
      : (high >= this.model.thresholds.high ? 'high' : undefined);
    if (!raiseTo) return assessment;
    const likely = Math.round((raiseTo === 'high' ? high : medium + high) * 100);
    const reason: Reason = {
      category: 'model', level: raiseTo, phrase: '', start: 0, end: 0, rule: 'model',
      why: `no rule read this as ${raiseTo}; the statistical second opinion did (${likely}% likely ${raiseTo === 'high' ? 'high risk' : 'to need attention'}): please read the whole message`,
    };
    return { level: raiseTo, reasons: [...assessment.reasons, reason] };
  }
}

function score(weights: Map<string, [number, number, number]>, bias: [number, number, number], feats: string[]): [number, number, number] {
  const z: [number, number, number] = [...bias];
  for (const f of feats) {
    const w = weights.get(f);
    if (!w) continue;
    z[0] += w[0];
    z[1] += w[1];
    z[2] += w[2];
  }
  return z;
}

function softmax(z: [number, number, number]): [number, number, number] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m)) as [number, number, number];
  const sum = e[0] + e[1] + e[2];
  return [e[0] / sum, e[1] / sum, e[2] / sum];
}

export interface TrainingItem {
  text: string;
  label: Level;
}

/** A small seeded generator, so that training the same corpus twice gives the same weights. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Trains the model: stochastic gradient descent on the log loss with L2, a fixed seed. One part in
 * five is held back to choose the thresholds: the lowest that keep routine messages raised at or
 * below `maxRoutineRaised` (and medium raised to high at or below the same share), then the model
 * is trained again on everything.
 */
export function trainModel(items: TrainingItem[], options: { epochs?: number; rate?: number; l2?: number; maxRoutineRaised?: number; seed?: number } = {}): ModelWeights {
  const { epochs = 30, rate = 0.3, l2 = 1e-4, maxRoutineRaised = 0.03, seed = 11 } = options;
  const random = seeded(seed);
  const shuffle = <T>(list: T[]): T[] => {
    const out = [...list];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };
  const shuffled = shuffle(items);
  const heldBack = shuffled.filter((_, i) => i % 5 === 0);
  const training = shuffled.filter((_, i) => i % 5 !== 0);
  const fit = (data: TrainingItem[]) => {
    const weights = new Map<string, [number, number, number]>();
    const bias: [number, number, number] = [0, 0, 0];
    const rows = data.map((d) => ({ feats: features(d.text), y: LEVELS.indexOf(d.label) }));
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = shuffle(rows.map((_, i) => i));
      const step = rate / (1 + epoch * 0.1);
      for (const i of order) {
        const { feats, y } = rows[i];
        const p = softmax(score(weights, bias, feats));
        for (let k = 0; k < 3; k++) {
          const g = p[k] - (k === y ? 1 : 0);
          bias[k] -= step * g;
          for (const f of feats) {
            let w = weights.get(f);
            if (!w) weights.set(f, (w = [0, 0, 0]));
            w[k] -= step * (g + l2 * w[k]);
          }
        }
      }
    }
    return { weights, bias };
  };

  const trial = fit(training);
  const probs = heldBack.map((d) => ({ label: d.label, p: softmax(score(trial.weights, trial.bias, features(d.text))) }));
  const lowestKeeping = (candidates: { flagged: number; negative: boolean }[]) => {
    const negatives = candidates.filter((c) => c.negative).map((c) => c.flagged).sort((a, b) => b - a);
    const allowed = Math.floor(negatives.length * maxRoutineRaised);
    // The threshold sits just above the (allowed+1)-th most confident negative, never below 0.5.
    return Math.max(0.5, (negatives[allowed] ?? 0) + 1e-6);
  };
  const flag = lowestKeeping(probs.map((x) => ({ flagged: x.p[1] + x.p[2], negative: x.label === 'none' })));
  const high = lowestKeeping(probs.filter((x) => x.label !== 'none').map((x) => ({ flagged: x.p[2], negative: x.label === 'medium' })));
  const rate_ = (pred: (x: (typeof probs)[number]) => boolean, of: (x: (typeof probs)[number]) => boolean) => {
    const pool = probs.filter(of);
    return pool.length ? pool.filter(pred).length / pool.length : 0;
  };
  const validation = {
    heldBack: heldBack.length,
    flaggedHighOrMedium: rate_((x) => x.p[1] + x.p[2] >= flag, (x) => x.label !== 'none'),
    routineFlagged: rate_((x) => x.p[1] + x.p[2] >= flag, (x) => x.label === 'none'),
    highAboveHigh: rate_((x) => x.p[2] >= high, (x) => x.label === 'high'),
    mediumAboveHigh: rate_((x) => x.p[2] >= high, (x) => x.label === 'medium'),
  };

  const final = fit(shuffled);
  const round = (v: number) => Math.round(v * 1e5) / 1e5;
  const weights: Record<string, [number, number, number]> = Object.create(null);
  for (const [f, w] of [...final.weights].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (Math.max(Math.abs(w[0]), Math.abs(w[1]), Math.abs(w[2])) < 1e-3) continue;
    weights[f] = [round(w[0]), round(w[1]), round(w[2])];
  }
  return {
    version: 1, weights, bias: [round(final.bias[0]), round(final.bias[1]), round(final.bias[2])],
    thresholds: { flag: round(flag), high: round(high) }, trainedOn: items.length,
    validation: Object.fromEntries(Object.entries(validation).map(([k, v]) => [k, round(v)])),
  };
}
