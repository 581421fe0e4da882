import type { Level } from './lexicon';
import type { Assessment } from './engine';

export interface Labelled {
  id: string;
  text: string;
  label: Level;
  /** A second acceptable label where clinicians could reasonably differ. */
  alt?: Level;
}

export interface Figures {
  counts: Record<Level, number>;
  highScoredHigh: number;
  highFlagged: number;
  mediumFlagged: number;
  routineScoredHigh: number;
  routineFlagged: number;
  misses: { id: string; label: Level; got: Level; text: string }[];
}

/** The figures the triage issue sets thresholds on, for any labelled set. */
export function evaluate(items: Labelled[], assess: (text: string) => Assessment): Figures {
  const counts: Record<Level, number> = { high: 0, medium: 0, none: 0 };
  const hits = { highScoredHigh: 0, highFlagged: 0, mediumFlagged: 0, routineScoredHigh: 0, routineFlagged: 0 };
  const misses: Figures['misses'] = [];
  for (const item of items) {
    const got = assess(item.text).level;
    counts[item.label]++;
    if (item.label === 'high') {
      if (got === 'high' || item.alt === got) hits.highScoredHigh++;
      if (got !== 'none') hits.highFlagged++;
    } else if (item.label === 'medium') {
      if (got !== 'none' || item.alt === 'none') hits.mediumFlagged++;
    } else {
      if (got === 'high' && item.alt !== 'high') hits.routineScoredHigh++;
      if (got !== 'none' && item.alt !== got) hits.routineFlagged++;
    }
    if (got !== item.label && got !== item.alt) misses.push({ id: item.id, label: item.label, got, text: item.text });
  }
  const share = (n: number, d: number) => (d === 0 ? 0 : n / d);
  return {
    counts,
    highScoredHigh: share(hits.highScoredHigh, counts.high),
    highFlagged: share(hits.highFlagged, counts.high),
    mediumFlagged: share(hits.mediumFlagged, counts.medium),
    routineScoredHigh: share(hits.routineScoredHigh, counts.none),
    routineFlagged: share(hits.routineFlagged, counts.none),
    misses,
  };
}

export const THRESHOLDS = {
  highScoredHigh: { min: 0.97 },
  highFlagged: { min: 0.99 },
  mediumFlagged: { min: 0.9 },
  routineScoredHigh: { max: 0.02 },
  routineFlagged: { max: 0.1 },
} as const;

export function formatFigures(f: Figures): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const denominator: Record<keyof typeof THRESHOLDS, number> = {
    highScoredHigh: f.counts.high, highFlagged: f.counts.high, mediumFlagged: f.counts.medium, routineScoredHigh: f.counts.none, routineFlagged: f.counts.none,
  };
  const line = (name: keyof typeof THRESHOLDS, label: string) => {
    if (denominator[name] === 0) return `${label.padEnd(34)}     n/a   (no such messages in this file)`;
    const t = THRESHOLDS[name] as { min?: number; max?: number };
    const ok = t.min !== undefined ? f[name] >= t.min : f[name] <= t.max!;
    return `${label.padEnd(34)} ${pct(f[name]).padStart(7)}   target ${t.min !== undefined ? '>=' : '<='} ${pct(t.min ?? t.max!)}  ${ok ? 'ok' : 'MISSED'}`;
  };
  return [
    `messages: ${f.counts.high} high, ${f.counts.medium} medium, ${f.counts.none} routine`,
    line('highScoredHigh', 'high scored high'),
    line('highFlagged', 'high flagged at all'),
    line('mediumFlagged', 'medium flagged'),
    line('routineScoredHigh', 'routine scored high'),
    line('routineFlagged', 'routine flagged at all'),
    ...(f.misses.length ? ['', 'disagreements (label -> engine):', ...f.misses.map((m) => `  ${m.id}: ${m.label} -> ${m.got}  ${JSON.stringify(m.text)}`)] : []),
  ].join('\n');
}
