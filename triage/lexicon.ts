import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { stemOf } from './tokens';

export type Level = 'none' | 'medium' | 'high';
export const LEVELS: readonly Level[] = ['none', 'medium', 'high'];
export const rank = (level: Level) => LEVELS.indexOf(level);

const pattern = z.string().trim().min(1);
const entrySchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  category: z.string().regex(/^[a-z0-9-]+$/),
  level: z.enum(['medium', 'high']),
  patterns: z.array(pattern).min(1),
  negatable: z.boolean().default(true),
  jokeable: z.boolean().default(false),
  topic: z.boolean().default(false),
  accidental: z.boolean().default(false),
  reassurable: z.boolean().default(false),
  /** Lowered one level (high to medium) when the message places it in the past ("last year", "when I was 12"). */
  historic: z.boolean().default(false),
  raisedBy: z.array(z.string()).default([]),
  raiseTo: z.enum(['medium', 'high']).default('high'),
  supersedes: z.array(z.string()).default([]),
});
const combinationSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  category: z.string(),
  level: z.enum(['medium', 'high']),
  all: z.array(z.string()).min(2),
  /**
   * Read `all` as "at least this many of": symptoms that each alone are common, and together are
   * an emergency (chest pain, an arm, breathlessness, a grey colour...). Absent: every one.
   */
  atLeast: z.number().int().min(2).optional(),
  why: z.string().optional(),
}).refine((c) => c.atLeast === undefined || c.atLeast <= c.all.length, { message: 'atLeast is more than the parts listed' });
const lexiconSchema = z.strictObject({
  version: z.literal(1),
  status: z.string().optional(),
  classes: z.record(z.string(), z.array(z.string().min(1)).min(1)),
  signals: z.record(z.string(), z.array(pattern).min(1)),
  modifiers: z.strictObject({
    negators: z.array(z.string()).min(1),
    negationBreakers: z.array(z.string()).default([]),
    figurative: z.array(pattern).default([]),
    joking: z.array(pattern).default([]),
    media: z.array(pattern).default([]),
    accident: z.array(pattern).default([]),
    reassured: z.array(pattern).default([]),
    historic: z.array(pattern).default([]),
  }),
  entries: z.array(entrySchema).min(1),
  combinations: z.array(combinationSchema).default([]),
});

export type LexiconEntry = z.infer<typeof entrySchema>;
export type LexiconSource = z.infer<typeof lexiconSchema>;
export const entryListSchema = z.array(entrySchema);

export class LexiconError extends Error {
  constructor(source: string, problem: string) {
    super(`The triage lexicon ${source} is not valid: ${problem}`);
    this.name = 'LexiconError';
  }
}

/**
 * Signals the engine reads off the message itself rather than from words: `shouting`, a message
 * written (almost) all in capitals. An entry may be raised by them like any other signal.
 */
export const COMPUTED_SIGNALS: ReadonlySet<string> = new Set(['shouting']);

export const LEXICON_PATH = join(__dirname, '..', '..', 'triage', 'lexicon.yaml');

// ------------------------------------------------------------------------------------- patterns

/** One position in a phrase: any of these words, or a number in a range. */
export type Atom = { words: { word: string; stemKey: string | undefined }[] } | { num: [number, number] };
export type Phrase = Atom[];
export type Slot = { kind: 'phrases'; phrases: Phrase[]; optional: boolean } | { kind: 'gap'; max: number };
export type CompiledPattern = Slot[];

// A several-word alternative written without parentheses ("at home|in the house") leaves a bare
// alternative whose first word ends one phrase ("home") and whose last word starts the next ("in"):
// it compiles, and silently matches the wrong thing. That shape is refused.
const PHRASE_STARTERS = new Set(['the', 'a', 'an', 'to', 'in', 'at', 'on', 'of', 'for', 'with', 'by', 'from', 'into']);
const NOT_PHRASE_ENDS = new Set([...PHRASE_STARTERS, 'about', 'up', 'out', 'over', 'around', 'through', 'after', 'before', 'my', 'your', 'his', 'her', 'their', 'our', 'its', 'this', 'that', 'some', 'all', 'i', 'me', 'us', 'him', 'them', 'he', 'she', 'they', 'we', 'you', 'it']);

function assertNotSplitPhrase(text: string, where: string, pattern: string): void {
  const alternatives = text.split('|').map((a) => a.replace(/^=/, ''));
  if (alternatives.length < 2) return;
  const first = alternatives[0];
  const last = alternatives[alternatives.length - 1];
  if (PHRASE_STARTERS.has(last) && !NOT_PHRASE_ENDS.has(first)) {
    throw new Error(`${where}: "${text}" in "${pattern}" looks like phrases run together ("${first}" ... "${last}"): for alternatives of several words, write (phrase one|phrase two)`);
  }
}

function compileAtom(text: string, where: string, exactOnly = false): Atom {
  const num = /^\{num(?::(\d+)-(\d+))?\}$/.exec(text);
  if (num) return { num: num[1] ? [Number(num[1]), Number(num[2])] : [-Infinity, Infinity] };
  if (text.includes('{') || text.includes('}') || text.includes('<') || text.includes('>')) throw new Error(`${where}: cannot read "${text}"`);
  return {
    words: text.split('|').map((alternative) => {
      if (!alternative) throw new Error(`${where}: an empty alternative in "${text}"`);
      const exact = exactOnly || alternative.startsWith('=');
      const word = (alternative.startsWith('=') ? alternative.slice(1) : alternative).toLowerCase();
      return { word, stemKey: exact || !/^[a-z]+$/.test(word) ? undefined : `s:${stemOf(word)}` };
    }),
  };
}

function splitWords(phrase: string): string[] {
  // Hyphens split words as they do in messages (self-harm), except inside {num:a-b} and <class-names>.
  return phrase.replace(/-(?![^{<]*[}>])/g, ' ').split(/\s+/).filter(Boolean);
}

/** Pattern words: spaces separate them, except inside a `(phrase one|phrase two)` group. */
function patternParts(text: string): string[] {
  if ((text.match(/\(/g) ?? []).length !== (text.match(/\)/g) ?? []).length) throw new Error(`unbalanced parentheses in "${text}"`);
  // A group inside a group would be cut at its first ")" and match something else, silently.
  if (/\([^)]*\(/.test(text)) throw new Error(`a group inside a group in "${text}": write the alternatives as two patterns`);
  return [...text.matchAll(/\??\([^)]*\)|\S+/g)].flatMap((m) => (m[0].includes('(') ? [m[0]] : splitWords(m[0])));
}

/** `exactOnly`: words match their exact form, not their stem (idioms are fixed phrases: "killing me" is not "kill me"). */
export function compilePattern(text: string, classes: Map<string, Phrase[]>, where: string, exactOnly = false): CompiledPattern {
  const slots: CompiledPattern = [];
  // The regular-expression habit "(word )?" reads here as a required word and an optional next one.
  if (/\)\?/.test(text)) throw new Error(`${where}: "?" goes before what it makes optional ("?word", "?(a|b c)"), not after a group, in "${text}"`);
  let parts: string[];
  try {
    parts = patternParts(text);
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message}`);
  }
  for (let part of parts) {
    const gap = /^\.\.\.(\d*)$/.exec(part);
    if (gap) {
      if (slots.length === 0) throw new Error(`${where}: a pattern cannot start with a gap ("${text}")`);
      slots.push({ kind: 'gap', max: gap[1] ? Number(gap[1]) : 3 });
      continue;
    }
    const optional = part.startsWith('?');
    if (optional) part = part.slice(1);
    if (!part || part.endsWith('?')) throw new Error(`${where}: a "?" marks the word after it as optional ("?word"), not the one before, in "${text}"`);
    const group = /^\((.*)\)$/.exec(part);
    const cls = /^<([a-z0-9-]+)>$/.exec(part);
    if (group) {
      const phrases = group[1].split('|').map((alternative) => {
        const words = splitWords(alternative);
        if (words.length === 0) throw new Error(`${where}: an empty alternative in "${part}"`);
        return words.map((w) => compileAtom(w, where, exactOnly));
      });
      slots.push({ kind: 'phrases', phrases, optional });
    } else if (cls) {
      const phrases = classes.get(cls[1]);
      if (!phrases) throw new Error(`${where}: unknown class <${cls[1]}> in "${text}"`);
      slots.push({ kind: 'phrases', phrases, optional });
    } else {
      assertNotSplitPhrase(part, where, text);
      slots.push({ kind: 'phrases', phrases: [[compileAtom(part, where, exactOnly)]], optional });
    }
  }
  if (slots.length === 0) throw new Error(`${where}: empty pattern`);
  if (slots.every((s) => s.kind === 'phrases' && s.optional)) throw new Error(`${where}: every word of "${text}" is optional`);
  if (slots[slots.length - 1].kind === 'gap') throw new Error(`${where}: a pattern cannot end with a gap ("${text}")`);
  return slots;
}

export interface Lexicon {
  source: LexiconSource;
  classes: Map<string, Phrase[]>;
}

export function parseLexicon(text: string, source = 'lexicon.yaml', additions: LexiconEntry[] = []): Lexicon {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new LexiconError(source, `not readable as YAML: ${(error as Error).message}`);
  }
  const parsed = lexiconSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const [first, index] = issue.path;
    const named = (first === 'entries' || first === 'combinations') && typeof index === 'number'
      ? `${first === 'entries' ? 'entry' : 'combination'} "${(raw as Record<string, { id?: string }[]>)[first as string]?.[index]?.id ?? `#${index}`}"`
      : issue.path.join('.');
    throw new LexiconError(source, `${named}: ${issue.message} (at ${issue.path.join('.')})`);
  }
  const lexicon = { ...parsed.data, entries: [...parsed.data.entries, ...additions] };
  const classes = new Map<string, Phrase[]>();
  try {
    for (const [name, phrases] of Object.entries(lexicon.classes)) {
      classes.set(name, phrases.map((p) => splitWords(p).map((w) => compileAtom(w, `class <${name}>`))));
    }
    const ids = new Set<string>();
    for (const entry of lexicon.entries) {
      if (ids.has(entry.id)) throw new Error(`entry "${entry.id}": the id is used twice`);
      ids.add(entry.id);
      for (const signal of entry.raisedBy) if (!Object.hasOwn(lexicon.signals, signal) && !COMPUTED_SIGNALS.has(signal)) throw new Error(`entry "${entry.id}": raisedBy names no signal "${signal}"`);
    }
    const categories = new Set(lexicon.entries.map((e) => e.category));
    for (const combination of lexicon.combinations) {
      for (const part of combination.all) {
        if (!Object.hasOwn(lexicon.signals, part) && !categories.has(part)) throw new Error(`combination "${combination.id}": "${part}" is neither a signal nor an entry category`);
      }
    }
  } catch (error) {
    throw new LexiconError(source, (error as Error).message);
  }
  return { source: lexicon, classes };
}

export function loadLexicon(path = LEXICON_PATH, additions: LexiconEntry[] = []): Lexicon {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new LexiconError(path, `cannot be read: ${(error as Error).message}`);
  }
  return parseLexicon(text, path, additions);
}
