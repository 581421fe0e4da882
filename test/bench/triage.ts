import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTriageEngine } from '../../triage';
import { loadLexicon } from '../../triage/lexicon';
import { readProtectedWords, TRIAGE_MAX_CHARS, TriageEngine } from '../../triage/engine';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const JaroWinklerDistance = require('natural/lib/natural/distance/jaro-winkler_distance') as (a: string, b: string, options?: unknown) => number;

/**
 * Typical texts: the repository's own labelled probe set (or any JSON-lines file of {"text"} named
 * by BENCH_TRIAGE_CORPUS), plus everyday service-user messages, 20-200 characters.
 */
function corpus(): string[] {
  const file = process.env.BENCH_TRIAGE_CORPUS || join(__dirname, '..', '..', '..', 'test', 'fixtures', 'triage', 'probes.jsonl');
  const texts = readFileSync(file, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { text: string }).text);
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
    '',
    pathologicalBench(engine, texts),
  ].join('\n');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * The fastest of at least five calls and `minMs` of calls: on a shared machine other work only
 * ever adds time, so the fastest call is the one nearest the cost of the code itself.
 */
function msPerCall(fn: () => unknown, minMs: number): number {
  fn();
  let fastest = Infinity;
  let calls = 0;
  const start = performance.now();
  while (calls < 5 || performance.now() - start < minMs) {
    const t0 = performance.now();
    fn();
    fastest = Math.min(fastest, performance.now() - t0);
    calls++;
  }
  return fastest;
}

/** Hostile inputs of a given length: what a sender can do to make triage slow. */
const PATHOLOGICAL: [string, (length: number) => string][] = [
  ['one letter repeated ("help xxxx...")', (n) => `help ${'x'.repeat(n - 5)}`],
  ['random words, some of them risk words', (n) => {
    const words = ['i', 'want', 'to', 'die', 'kill', 'myself', 'tonight', 'not', 'the', 'school', 'nurse', 'pills', 'baby', 'sick', 'we', 'learned', 'about', 'suicide', 'in', 'assembly', 'lol', 'but'];
    let seed = 7;
    const out: string[] = [];
    let length = 0;
    while (length < n) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const word = words[seed % words.length];
      out.push(word);
      length += word.length + 1;
    }
    return out.join(' ').slice(0, n);
  }],
  ['a risk sentence repeated', (n) => 'i want to kill myself tonight. '.repeat(Math.ceil(n / 31)).slice(0, n)],
  ['spaced single letters ("x x x ...")', (n) => 'x '.repeat(n / 2)],
  ['zalgo: combining marks stacked on letters', (n) => `help ${'k\u0301\u0316\u0489'.repeat(Math.ceil(n / 4))}`.slice(0, n)],
  ['look-alikes and zero-width spaces', (n) => 'kіll\u200Bmysеlf '.repeat(Math.ceil(n / 13)).slice(0, n)],
  ['emoji', (n) => '💊😭'.repeat(n / 4)],
];

/**
 * Time per KB on hostile inputs against typical texts, in this run. Read whole (the engine past
 * its cap, to show each stage is linear: 100 KB should cost about ten times 10 KB, not a hundred)
 * and as the server reads them (capped at TRIAGE_MAX_CHARS: 100 KB costs about what 10 KB does).
 */
function pathologicalBench(engine: TriageEngine, typical: string[]): string {
  const whole = new TriageEngine(loadLexicon(), readProtectedWords(), Infinity);
  const typicalChars = typical.reduce((n, t) => n + t.length, 0);
  const typicalMsPerKb = msPerCall(() => typical.forEach((t) => engine.assess(t)), 1000) / (typicalChars / 1000);
  const rows = PATHOLOGICAL.map(([name, make]) => {
    const small = make(10_000);
    const large = make(100_000);
    const wholeSmall = msPerCall(() => whole.assess(small), 300);
    const wholeLarge = msPerCall(() => whole.assess(large), 300);
    const cappedLarge = msPerCall(() => engine.assess(large), 300);
    const perKb = wholeLarge / 100;
    return `| ${name} | ${wholeSmall.toFixed(1)} | ${wholeLarge.toFixed(1)} | ${(wholeLarge / wholeSmall).toFixed(1)} | ${(perKb * 1000).toFixed(0)} | ${(perKb / typicalMsPerKb).toFixed(1)}x | ${cappedLarge.toFixed(1)} |`;
  });
  return [
    `Hostile input: time per message (fastest of repeated calls), read whole (no cap) and as assess reads it (first ${TRIAGE_MAX_CHARS} characters). Typical texts: ${(typicalMsPerKb * 1000).toFixed(0)} µs per KB.`,
    '',
    '| input | 10 KB whole, ms | 100 KB whole, ms | 100 KB ÷ 10 KB (linear: about 10) | µs per KB at 100 KB | per KB vs typical texts | 100 KB capped, ms |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}
