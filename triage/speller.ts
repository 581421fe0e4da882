import { stemOf, type Speller } from './tokens';

/**
 * Spelling correction towards the lexicon only: a typed word that is not a known word may be
 * read as the lexicon word it is one slip away from ("sucide", "mysefl", "wnat"). Real English
 * words near a lexicon word ("dye", "hand", "fill") are listed in protected-words.txt and are
 * never changed; that list is generated from natural's English lexicon (see triage/README.md).
 *
 * Lookup is SymSpell-style: every lexicon word's single deletions are indexed, so a typed word
 * is checked with a handful of map lookups rather than a distance to every lexicon word.
 */
export class LexiconSpeller implements Speller {
  private readonly deletions = new Map<string, string[]>();
  private readonly byLength = new Map<number, string[]>();
  private readonly stems: Set<string>;

  constructor(private readonly words: Set<string>, private readonly protectedWords: Set<string>) {
    this.stems = new Set([...words].map(stemOf));
    for (const word of words) {
      if (!this.byLength.has(word.length)) this.byLength.set(word.length, []);
      this.byLength.get(word.length)!.push(word);
      if (word.length < 4) continue;
      for (const deleted of [word, ...singleDeletions(word)]) {
        const list = this.deletions.get(deleted);
        if (list) list.push(word);
        else this.deletions.set(deleted, [word]);
      }
    }
  }

  isKnown(word: string): boolean {
    return this.words.has(word) || this.protectedWords.has(word);
  }

  isLexiconStem(stem: string): boolean {
    return this.stems.has(stem);
  }

  correct(word: string): string | undefined {
    // Three letters: only a letter left out ("kil"); four: only a swap of neighbours ("wnat");
    // five or more: any single slip.
    if (word.length === 3) return this.deletions.get(word)?.find((candidate) => candidate.length === 4);
    if (word.length < 3 || word.length > 24) return undefined;
    const candidates = new Set<string>();
    for (const key of [word, ...singleDeletions(word)]) for (const c of this.deletions.get(key) ?? []) candidates.add(c);
    let best: string | undefined;
    for (const candidate of candidates) {
      const distance = damerauLevenshtein(word, candidate, 2);
      const allowed = word.length === 4 ? distance === 1 && isTransposition(word, candidate) : distance === 1;
      if (allowed && (!best || candidate.length > best.length)) best = candidate;
    }
    return best;
  }

  unmask(masked: string): string[] {
    // Only lexicon words of the same length can fit, so a masked word longer than any is done with.
    const sameLength = this.byLength.get(masked.length);
    if (!sameLength || !/^[a-z*]+$/.test(masked) || masked.replace(/\*/g, '').length < 2) return [];
    const pattern = new RegExp(`^${masked.replace(/\*/g, '[a-z]')}$`);
    return sameLength.filter((w) => pattern.test(w));
  }
}

function singleDeletions(word: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < word.length; i++) out.push(word.slice(0, i) + word.slice(i + 1));
  return out;
}

function isTransposition(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const diff: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff.push(i);
  return diff.length === 2 && diff[1] === diff[0] + 1 && a[diff[0]] === b[diff[1]] && a[diff[1]] === b[diff[0]];
}

/**
 * Optimal string alignment distance, giving up past `limit`. Three rows rather than the whole
 * table, and two rows past the limit end it: no later cell can come back under it.
 */
export function damerauLevenshtein(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let previousBest = 0;
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowBest = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, beforePrevious[j - 2] + 1);
      current[j] = d;
      rowBest = Math.min(rowBest, d);
    }
    if (rowBest > limit && previousBest > limit) return limit + 1;
    beforePrevious = previous;
    previous = current;
    previousBest = rowBest;
  }
  return previous[b.length];
}
