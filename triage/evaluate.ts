import type { Level } from './lexicon';
import type { Assessment } from './engine';

export interface Labelled {
  id: string;
  text: string;
  label: Level;
  /** A second acceptable label where clinicians could reasonably differ. */
  alt?: Level;
  /** The class of message it stands for (challenge sets), for `evaluateByClass`. */
  class?: string;
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

export interface ClassFigures {
  class: string;
  /** The class's level: its items' label (the highest, should a class mix labels). */
  level: Level;
  n: number;
  /** Scored exactly their label, or their alt. */
  exact: number;
  /** high and medium classes: flagged at all (not none, or none is the item's alt). none classes: stayed routine (or got their alt). */
  flaggedOrRoutine: number;
  misses: { id: string; label: Level; alt?: Level; got: Level; text: string }[];
}

const RANK: Record<Level, number> = { none: 0, medium: 1, high: 2 };

/**
 * Per-class figures for a labelled set whose items carry a `class` (items without one are left
 * out). Classes come out in the order they first appear in the file.
 */
export function evaluateByClass(items: Labelled[], assess: (text: string) => Assessment): ClassFigures[] {
  const byClass = new Map<string, ClassFigures>();
  for (const item of items) {
    if (item.class === undefined || item.class === '') continue;
    let f = byClass.get(item.class);
    if (!f) byClass.set(item.class, (f = { class: item.class, level: item.label, n: 0, exact: 0, flaggedOrRoutine: 0, misses: [] }));
    if (RANK[item.label] > RANK[f.level]) f.level = item.label;
    const got = assess(item.text).level;
    f.n++;
    const ok = got === item.label || got === item.alt;
    if (ok) f.exact++;
    else f.misses.push({ id: item.id, label: item.label, ...(item.alt ? { alt: item.alt } : {}), got, text: item.text });
    if (item.label === 'none' ? got === 'none' || got === item.alt : got !== 'none' || item.alt === 'none') f.flaggedOrRoutine++;
  }
  return [...byClass.values()];
}

/**
 * A table of `evaluateByClass`: per class its level, n, how many scored exactly their label (or
 * alt), and how many were flagged at all (high and medium classes) or stayed routine (none
 * classes); then each class's misses. Empty when no item had a class.
 */
export function formatByClass(rows: ClassFigures[]): string {
  if (!rows.length) return '';
  const pct = (k: number, n: number) => (n === 0 ? 'n/a' : `${((k / n) * 100).toFixed(1)}%`);
  const cell = (k: number, n: number) => `${`${k}/${n}`.padStart(7)} ${pct(k, n).padStart(6)}`;
  const width = Math.max('class'.length, ...rows.map((r) => r.class.length));
  const lines = [
    `${'class'.padEnd(width)}  level     n  ${'as labelled'.padStart(14)}  ${'flagged/routine'.padStart(14)}`,
    ...rows.map((r) => `${r.class.padEnd(width)}  ${r.level.padEnd(6)} ${String(r.n).padStart(4)}  ${cell(r.exact, r.n)}  ${cell(r.flaggedOrRoutine, r.n)}  ${r.level === 'none' ? 'stayed routine' : 'flagged at all'}`),
  ];
  const missed = rows.filter((r) => r.misses.length);
  if (missed.length) {
    lines.push('', 'misses by class (label[/alt] -> engine):');
    for (const r of missed) {
      lines.push(`  ${r.class}:`);
      for (const m of r.misses) lines.push(`    ${m.id}: ${m.label}${m.alt ? `/${m.alt}` : ''} -> ${m.got}  ${JSON.stringify(m.text)}`);
    }
  }
  return lines.join('\n');
}
