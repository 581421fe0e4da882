import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTriageEngine } from '../../triage';
import { loadLexicon } from '../../triage/lexicon';
import { TriageEngine } from '../../triage/engine';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const JaroWinklerDistance = require('natural/lib/natural/distance/jaro-winkler_distance') as (a: string, b: string, options?: unknown) => number;

/** Typical texts: the dev set plus everyday service-user messages, 20-200 characters. */
function corpus(): string[] {
  const devSet = join(__dirname, '..', '..', '..', '..', 'shared', 'triage', 'dev-set.jsonl');
  let texts: string[] = [];
  try {
    texts = readFileSync(devSet, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { text: string }).text);
  } catch { /* no shared/ beside the repo: the built-in texts below still make a corpus */ }
  texts.push(
    'hi, is this the school nurse? i wanted to ask about getting the pill without my parents knowing if thats ok',
    'my baby has had a runny nose for 3 days and isnt feeding as well as usual, should i be worried or is it just a cold',
    'can i make an appointment for an sti test this week, i had unprotected sex on saturday',
    'honestly everything is just a lot at the moment with exams and stuff at home and i dont really know who to talk to',
  );
  return texts.filter((t) => t.length >= 10);
}

/** The naive baseline the issue names: every token against every lexicon term with Jaro-Winkler. */
function naiveBaseline(engine: TriageEngine): (text: string) => number {
  const terms = [...engine.vocabulary()].filter((w) => w.length >= 4);
  return (text) => {
    let hits = 0;
    for (const token of text.toLowerCase().split(/[^a-z0-9']+/)) {
      if (!token) continue;
      for (const term of terms) if (JaroWinklerDistance(token, term) > 0.92) hits++;
    }
    return hits;
  };
}

function rate(fn: (text: string) => unknown, texts: string[], minMs: number): number {
  for (let i = 0; i < Math.min(500, texts.length * 3); i++) fn(texts[i % texts.length]);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    for (const t of texts) fn(t);
    n += texts.length;
  }
  return (n / (performance.now() - start)) * 1000;
}

export function triageBench(): string {
  const buildTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    buildTriageEngine();
    buildTimes.push(performance.now() - t0);
  }
  const lexiconOnly: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    loadLexicon();
    lexiconOnly.push(performance.now() - t0);
  }
  const engine = buildTriageEngine();
  const texts = corpus();
  // Longer messages: pairs of texts joined, kept to 100-200 characters.
  const long = texts.map((t, i) => `${t}. ${texts[(i * 7 + 3) % texts.length]}`).filter((t) => t.length >= 100 && t.length <= 200);
  const naive = naiveBaseline(engine);
  const engineRate = rate((t) => engine.assess(t), texts, 3000);
  const baselineRate = rate(naive, texts, 3000);
  const engineLong = rate((t) => engine.assess(t), long, 2000);
  const baselineLong = rate(naive, long, 2000);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const avgLength = texts.reduce((n, t) => n + t.length, 0) / texts.length;
  return [
    `Triage: ${texts.length} texts (mean ${avgLength.toFixed(0)} characters), one core, full lexicon (${engine.vocabulary().size} words)`,
    '',
    '| engine | messages/s | vs naive baseline |',
    '|---|---:|---:|',
    `| Lamplight triage engine, typical texts | ${engineRate.toFixed(0)} | ${(engineRate / baselineRate).toFixed(1)}x |`,
    `| naive: every token x every lexicon word, natural's Jaro-Winkler | ${baselineRate.toFixed(0)} | 1.0x |`,
    `| Lamplight triage engine, ${long.length} texts of 100-200 characters | ${engineLong.toFixed(0)} | ${(engineLong / baselineLong).toFixed(1)}x |`,
    `| naive, the same 100-200 character texts | ${baselineLong.toFixed(0)} | 1.0x |`,
    '',
    `Engine build from the lexicon: median ${median(buildTimes).toFixed(0)} ms of 5 (YAML parse and validation alone: ${median(lexiconOnly).toFixed(0)} ms)`,
  ].join('\n');
}
