import { readFileSync } from 'node:fs';
import { SecondOpinion } from './second-opinion';
import { join } from 'node:path';
import { Atom, CompiledPattern, compilePattern, Level, Lexicon, LexiconEntry, LexiconError, rank } from './lexicon';
import { normalise } from './normalise';
import { LexiconSpeller } from './speller';
import { Token, tokenize } from './tokens';

export interface Reason {
  category: string;
  /** The level this reason contributes after every modifier ("none" when lowered away). */
  level: Level;
  /** The matched words as they were typed, and their character span in the original text. */
  phrase: string;
  start: number;
  end: number;
  rule: string;
  /** Why the level was raised or lowered, when it was. */
  why?: string;
  /**
   * Other words that set this level, where they are in the original text: what raised it ("i have
   * the pills"), or the other parts of a combination. A clinician sees them marked too.
   */
  also?: { phrase: string; start: number; end: number }[];
}

export interface Assessment {
  level: Level;
  reasons: Reason[];
}

type Owner =
  | { kind: 'entry'; entry: LexiconEntry }
  | { kind: 'signal'; name: string }
  | { kind: 'figurative' | 'joking' | 'media' | 'accident' | 'reassured' | 'historic' };

interface Indexed {
  owner: Owner;
  pattern: CompiledPattern;
  /** The same pattern in the form matching reads (see `fastPattern`). */
  fast: FastPattern;
  /** Key sets (ids) the message must hold somewhere for the pattern to match at all. */
  requires: number[];
}

interface Match {
  owner: Owner;
  from: number;
  /** Exclusive token index. */
  to: number;
}

const FIRST_PERSON = ['i', 'me', 'my', 'myself', 'mine'];

/**
 * Triage reads at most this many characters of a message (UTF-16 code units, as String.length
 * counts). SMS tops out near 1,600; the cap bounds the time one message can take. A longer message
 * is stored whole by the caller, and gets a `triage-unread` reason at medium: a person has to read
 * what the engine did not.
 */
export const TRIAGE_MAX_CHARS = 10_000;

/** How much of `text` triage reads: the cap, moved back so as not to split a surrogate pair. */
function readableLength(text: string, maxChars: number): number {
  if (text.length <= maxChars) return text.length;
  const last = text.charCodeAt(maxChars - 1);
  return last >= 0xd800 && last <= 0xdbff ? maxChars - 1 : maxChars;
}

function unreadTail(readLength: number): Reason {
  return {
    category: 'triage-unread', level: 'medium', phrase: '', start: readLength, end: readLength, rule: 'triage-unread',
    why: `only the first ${readLength} characters were triaged: a person needs to read the rest`,
  };
}

export const PROTECTED_WORDS_PATH = join(__dirname, '..', '..', 'triage', 'protected-words.txt');

/**
 * The triage engine: lexicon patterns matched over normalised tokens, then the modifiers that
 * make keyword matching usable with real messages: figurative speech, negation, media and
 * accident context, joking, raises by immediacy/plan/means/farewell, combinations, supersession.
 */
export class TriageEngine {
  private readonly index = new Map<string, Indexed[]>();
  private readonly numberIndex: Indexed[] = [];
  private readonly negators: Set<string>;
  private readonly breakers: Set<string>;
  private readonly speller: LexiconSpeller;
  /** Distinct key sets that patterns require (see `requiredKeySets`), by their sorted keys. */
  private readonly keySetIds = new Map<string, number>();
  /** For each key, the ids of the required key sets that hold it. */
  private readonly keySetsByKey = new Map<string, number[]>();
  /** `present[id] === generation`: the message being read holds a key of key set `id`. */
  private present = new Int32Array(0);
  private generation = 0;

  /** `maxChars`: other than TRIAGE_MAX_CHARS only to measure the engine past the cap (the bench). */
  /**
   * `secondOpinion`: the statistical model that may raise (never lower) the rules' verdict one
   * step when confident (triage/model.ts); without it, the rules alone decide.
   */
  constructor(private readonly lexicon: Lexicon, protectedWords: Set<string>, private readonly maxChars = TRIAGE_MAX_CHARS, private readonly secondOpinion?: SecondOpinion) {
    const { source } = lexicon;
    const all: Indexed[] = [];
    const add = (owner: Owner, patterns: string[], where: string) => {
      for (const text of patterns) {
        try {
          const pattern = compilePattern(text, lexicon.classes, where, owner.kind === 'figurative');
          all.push({ owner, pattern, fast: fastPattern(pattern), requires: this.requiredKeySets(pattern) });
        } catch (error) {
          throw new LexiconError('triage/lexicon.yaml', (error as Error).message);
        }
      }
    };
    for (const entry of source.entries) add({ kind: 'entry', entry }, entry.patterns, `entry "${entry.id}"`);
    for (const [name, patterns] of Object.entries(source.signals)) add({ kind: 'signal', name }, patterns, `signal "${name}"`);
    for (const kind of ['figurative', 'joking', 'media', 'accident', 'reassured', 'historic'] as const) add({ kind }, source.modifiers[kind], `modifier ${kind}`);
    for (const item of all) this.addToIndex(item);
    this.present = new Int32Array(this.keySetIds.size);
    this.negators = new Set(source.modifiers.negators.filter((n) => !n.includes(' ')));
    this.breakers = new Set(source.modifiers.negationBreakers);
    this.speller = new LexiconSpeller(vocabulary(all), protectedWords);
  }

  /** `secondOpinion`: by default the committed model (if its weights are there); `null` for the rules alone. */
  static load(lexicon: Lexicon, protectedWordsPath = PROTECTED_WORDS_PATH, secondOpinion?: SecondOpinion | null): TriageEngine {
    return new TriageEngine(lexicon, readProtectedWords(protectedWordsPath), TRIAGE_MAX_CHARS, secondOpinion === null ? undefined : secondOpinion ?? SecondOpinion.load());
  }

  /** Every word the lexicon can match: the vocabulary spelling correction aims at. */
  vocabulary(): Set<string> {
    return vocabulary([...this.index.values()].flat());
  }

  /**
   * The level and reasons for one message. Only its first TRIAGE_MAX_CHARS characters are read;
   * every step is linear in what is read (hostile input included), and reasons' spans and phrases
   * are in `text` as given, whatever normalisation the engine read it through.
   */
  assess(text: string): Assessment {
    const readLength = readableLength(text, this.maxChars);
    const normalised = normalise(readLength < text.length ? text.slice(0, readLength) : text);
    const tokens = tokenize(normalised.text, this.speller, normalised.softBreaks);
    const matches = this.findMatches(tokens);
    const byKind = new Map<Owner['kind'], Match[]>();
    for (const m of matches) {
      const list = byKind.get(m.owner.kind);
      if (list) list.push(m);
      else byKind.set(m.owner.kind, [m]);
    }
    const ofKind = (kind: Owner['kind']) => byKind.get(kind) ?? [];
    const firstInClause = new Map<Owner['kind'], Map<number, Match>>();
    const sameClause = (kind: Owner['kind'], m: Match) => {
      let byClause = firstInClause.get(kind);
      if (!byClause) {
        byClause = new Map();
        for (const c of ofKind(kind)) if (!byClause.has(tokens[c.from].clause)) byClause.set(tokens[c.from].clause, c);
        firstInClause.set(kind, byClause);
      }
      return byClause.get(tokens[m.from].clause);
    };
    const figurative = ofKind('figurative');
    const insideFigurative = figurative.length ? new Uint8Array(tokens.length) : undefined;
    for (const f of figurative) insideFigurative!.fill(1, f.from, f.to);
    const inFigurative = (m: Match) => insideFigurative !== undefined && insideFigurative.subarray(m.from, m.to).includes(1);
    // A signal inside a figurative phrase is no signal either ("not responding to the antibiotics").
    const presentSignals = new Map<string, Match>();
    for (const m of ofKind('signal')) {
      const name = (m.owner as { name: string }).name;
      if (!presentSignals.has(name) && !this.negatorBefore(tokens, m) && !inFigurative(m)) presentSignals.set(name, m);
    }
    const present = (name: string) => presentSignals.get(name);
    const joking = ofKind('joking')[0];
    const shouting = isShouting(normalised.text);
    let firstPersonClauses: Set<number> | undefined;
    const firstPersonIn = (clause: number) => {
      firstPersonClauses ??= new Set(tokens.filter((t) => FIRST_PERSON.some((w) => t.keys.has(w))).map((t) => t.clause));
      return firstPersonClauses.has(clause);
    };

    const kept = ofKind('entry').filter((m) => !inFigurative(m));
    // An entry gives way to a wider match of an entry that supersedes its category; never to
    // another match of its own entry (two of them over the same words would remove each other).
    const supersedersAt = new Map<number, Match[]>();
    for (const other of kept) {
      if (entryOf(other).supersedes.length === 0) continue;
      for (let t = other.from; t < other.to; t++) {
        const list = supersedersAt.get(t);
        if (list) list.push(other);
        else supersedersAt.set(t, [other]);
      }
    }
    const supersededOut = kept.filter((m) => !(supersedersAt.get(m.from) ?? []).some((other) => other !== m && other.from <= m.from && other.to >= m.to
      && entryOf(other) !== entryOf(m) && entryOf(other).supersedes.includes(entryOf(m).category)));

    const found: Found[] = [];
    const phrase = (m: { from: number; to: number }) => {
      const span = normalised.originalSpan(tokens[m.from].start, tokens[m.to - 1].end);
      return { phrase: text.slice(span.start, span.end), ...span };
    };
    const liveStarts = new Set<number>();
    for (const m of supersededOut) {
      const entry = entryOf(m);
      let level: Level = entry.level;
      const why: string[] = [];
      const also: { phrase: string; start: number; end: number }[] = [];
      const negator = entry.negatable ? this.negatorBefore(tokens, m) : undefined;
      // A topic in a lesson or a film is not a disclosure, unless someone in that clause speaks of themselves.
      const media = entry.topic && !firstPersonIn(tokens[m.from].clause) ? sameClause('media', m) : undefined;
      const accident = entry.accidental ? sameClause('accident', m) : undefined;
      if (negator) {
        level = 'none';
        why.push(`negated by "${negator}"`);
      } else if (media) {
        level = 'none';
        why.push(`talked about as a topic ("${phrase(media).phrase}")`);
      } else if (accident) {
        level = 'none';
        why.push(`an accident ("${phrase(accident).phrase}")`);
      } else {
        const raiser = entry.raisedBy.map(present).find(Boolean);
        if (raiser && rank(entry.raiseTo) > rank(level)) {
          level = entry.raiseTo;
          why.push(`raised by "${phrase(raiser).phrase}" (${(raiser.owner as { name: string }).name})`);
          also.push(phrase(raiser));
        } else if (shouting && entry.raisedBy.includes('shouting') && rank(entry.raiseTo) > rank(level) && !ofKind('historic').length && !ofKind('reassured').length && !present('past-or-better')) {
          // A shout raises what is happening now, not a past told in capitals ("I USED TO...").
          level = entry.raiseTo;
          why.push('raised: written in capitals (shouting)');
        }
        if (entry.jokeable && joking && level === 'high') {
          level = 'medium';
          why.push(`lowered one level: joking cue "${phrase(joking).phrase}"`);
        }
        // Harm in the past ("last year", "when I was 12") is a disclosure to act on, not danger now.
        const historic = entry.historic ? sameClause('historic', m) ?? ofKind('historic')[0] : undefined;
        if (historic && level === 'high') {
          level = 'medium';
          why.push(`lowered one level: in the past ("${phrase(historic).phrase}")`);
        }
        const reassured = entry.reassurable ? ofKind('reassured')[0] : undefined;
        if (reassured && level === 'high') {
          level = 'medium';
          why.push(`lowered one level: reassurance "${phrase(reassured).phrase}"`);
        }
      }
      if (level !== 'none') liveStarts.add(tokens[m.from].start);
      found.push({ ...m, reason: { category: entry.category, level, ...phrase(m), rule: entry.id, ...(why.length ? { why: why.join('; ') } : {}), ...(also.length && level !== 'none' ? { also } : {}) } });
    }

    for (const combination of this.lexicon.source.combinations) {
      // A category takes part through its first match at a place that carries a live reason.
      const partsFound = combination.all.map((name) => present(name) ?? supersededOut.find((m) => entryOf(m).category === name && liveStarts.has(tokens[m.from].start)));
      // "At least N" counts parts at different places: one phrase that two signals both read
      // ("my left arm has gone numb") is one sign, not two.
      const parts = combination.atLeast === undefined ? partsFound : apart(partsFound.filter((p): p is Match => p !== undefined));
      if (parts.length >= (combination.atLeast ?? 0) && parts.every(Boolean)) {
        const first = parts.reduce((a, b) => (tokens[a!.from].start <= tokens[b!.from].start ? a : b))!;
        const others = parts.filter((p) => p !== first).map((p) => `"${phrase(p!).phrase}"`).join(', ');
        liveStarts.add(tokens[first.from].start);
        const also = parts.filter((p) => p !== first).map((p) => phrase(p!));
        found.push({ ...first, reason: { category: combination.category, level: combination.level, ...phrase(first), rule: combination.id, why: `with ${others}${combination.why ? `: ${combination.why}` : ''}`, also } });
      }
    }

    const final = dedupeReasons(found, tokens);
    if (readLength < text.length) final.push(unreadTail(readLength));
    const level = final.reduce<Level>((max, r) => (rank(r.level) > rank(max) ? r.level : max), 'none');
    return this.secondOpinion ? this.secondOpinion.review({ level, reasons: final }, text, normalised.text) : { level, reasons: final };
  }

  private addToIndex(item: Indexed): void {
    const keys = new Set<string>();
    let numeric = false;
    // Index under every word that can start the pattern (an optional first slot lets the next one start it).
    for (const slot of item.pattern) {
      if (slot.kind !== 'phrases') break;
      for (const phrase of slot.phrases) {
        const atom = phrase[0];
        if ('num' in atom) numeric = true;
        else for (const w of atom.words) keys.add(w.stemKey ?? w.word);
      }
      if (!slot.optional) break;
    }
    for (const key of keys) {
      const list = this.index.get(key);
      if (list) list.push(item);
      else this.index.set(key, [item]);
    }
    if (numeric) this.numberIndex.push(item);
  }

  /** Patterns that can start at a token, per (shared, cached) key set of a word. */
  private readonly candidatesByKeys = new WeakMap<Set<string>, Indexed[]>();

  private candidates(token: Token): Indexed[] {
    const found = unionByKeys(this.candidatesByKeys, token.keys, this.index);
    return token.num === undefined ? found : [...found, ...this.numberIndex];
  }

  /**
   * The words a pattern cannot match without: for each slot that must match, the keys that can
   * begin it. Most patterns that could start at a common word ("i", "my", "mum") need a rarer word
   * later ("stepdad ... hits" needs a harm verb): a message without one is not tried at all.
   */
  private requiredKeySets(pattern: CompiledPattern): number[] {
    const ids: number[] = [];
    for (const slot of pattern) {
      if (slot.kind !== 'phrases' || slot.optional) continue;
      const firsts = slot.phrases.map((phrase) => fastAtom(phrase[0]));
      if (firsts.some((atom) => 'num' in atom)) continue;
      const keys = new Set(firsts.flatMap((atom) => [...(atom as { keys: Set<string> }).keys]));
      const name = [...keys].sort().join(' ');
      let id = this.keySetIds.get(name);
      if (id === undefined) {
        id = this.keySetIds.size;
        this.keySetIds.set(name, id);
        for (const key of keys) {
          const list = this.keySetsByKey.get(key);
          if (list) list.push(id);
          else this.keySetsByKey.set(key, [id]);
        }
      }
      if (!ids.includes(id)) ids.push(id);
    }
    return ids;
  }

  /** The required key sets a word's keys meet, per (shared, cached) key set of a word. */
  private readonly keySetsByTokenKeys = new WeakMap<Set<string>, number[]>();

  private keySetsOf(token: Token): number[] {
    return unionByKeys(this.keySetsByTokenKeys, token.keys, this.keySetsByKey);
  }

  private findMatches(tokens: Token[]): Match[] {
    const matches: Match[] = [];
    const generation = (this.generation = (this.generation + 1) | 0) || (this.generation = 1);
    const present = this.present;
    for (const token of tokens) for (const id of this.keySetsOf(token)) present[id] = generation;
    for (let i = 0; i < tokens.length; i++) {
      next: for (const item of this.candidates(tokens[i])) {
        for (const id of item.requires) if (present[id] !== generation) continue next;
        const end = matchSlots(tokens, i, item.fast, 0);
        if (end > i) matches.push({ owner: item.owner, from: i, to: end });
      }
    }
    return matches;
  }

  /** A negator up to four words before the match, in the same clause, with no breaker between. */
  private negatorBefore(tokens: Token[], m: { from: number }): string | undefined {
    const clause = tokens[m.from].clause;
    for (let i = m.from - 1; i >= Math.max(0, m.from - 4); i--) {
      if (tokens[i].clause !== clause) return undefined;
      for (const key of tokens[i].keys) {
        if (this.breakers.has(key)) return undefined;
        if (this.negators.has(key)) return key;
      }
    }
    return undefined;
  }
}

/**
 * A message written in capitals: at least 12 capital letters, and no more than one letter in ten
 * in lower case ("I DONT WANT TO BE HERE ANYMORE", "PLEASE HELP ME"). Short shouts ("OK", "NHS")
 * are too short to count.
 */
export function isShouting(text: string): boolean {
  let upper = 0;
  let lower = 0;
  for (const ch of text) {
    if (ch >= 'A' && ch <= 'Z') upper++;
    else if (ch >= 'a' && ch <= 'z') lower++;
    else if (ch.length === 1 && ch.charCodeAt(0) < 0x80) continue;
    else if (ch !== ch.toLowerCase()) upper++;
    else if (ch !== ch.toUpperCase()) lower++;
  }
  return upper >= 12 && lower * 10 <= upper + lower;
}

/** What a message gets when triage could not read it: an engine fault must never read as "no risk". */
export const TRIAGE_FAILED: Readonly<Reason> = Object.freeze({
  category: 'triage-failed', level: 'high', phrase: '', start: 0, end: 0, rule: 'triage-failed',
  why: 'triage could not read this message; treated as high risk',
});

/**
 * `engine.assess`, except that it never throws: if triage fails, the message is high with the one
 * reason TRIAGE_FAILED, and `failed` is set so the caller can log it (`onError` gets the error).
 */
export function assessSafely(engine: Pick<TriageEngine, 'assess'>, text: string, onError?: (error: unknown) => void): Assessment & { failed?: true } {
  try {
    return engine.assess(text);
  } catch (error) {
    try {
      onError?.(error);
    } catch {
      // A failing logger must not turn a high-risk answer into an exception.
    }
    return { level: 'high', reasons: [{ ...TRIAGE_FAILED }], failed: true };
  }
}

/**
 * Everything `byKey` lists under any of a word's keys, without repeats; cached per key set (a
 * word's key set is shared by every token of that word, so each distinct word is worked out once).
 */
function unionByKeys<T>(cache: WeakMap<Set<string>, T[]>, keys: Set<string>, byKey: ReadonlyMap<string, T[]>): T[] {
  let found = cache.get(keys);
  if (!found) {
    const union = new Set<T>();
    for (const key of keys) for (const item of byKey.get(key) ?? []) union.add(item);
    found = [...union];
    cache.set(keys, found);
  }
  return found;
}

/** The matches, keeping each only if it shares no word with one kept before it. */
function apart(matches: Match[]): Match[] {
  const kept: Match[] = [];
  for (const m of matches) if (kept.every((k) => m.to <= k.from || m.from >= k.to)) kept.push(m);
  return kept;
}

function entryOf(m: Match): LexiconEntry {
  return (m.owner as { entry: LexiconEntry }).entry;
}

/** A reason, and the tokens it was read from. */
interface Found {
  reason: Reason;
  from: number;
  to: number;
}

/**
 * One reason per rule and place: of overlapping reasons from the same rule, the highest level
 * (after modifiers), then the longest. Deduplicating after the modifiers matters: a longer match
 * can be negated where a shorter one inside it is not.
 */
function dedupeReasons(found: Found[], tokens: Token[]): Reason[] {
  // Tokens that share one span (the "i" and "am" of "im") are one place: overlap is counted in places.
  const placeOf = new Int32Array(tokens.length);
  for (let t = 1; t < tokens.length; t++) {
    const same = tokens[t].start === tokens[t - 1].start && tokens[t].end === tokens[t - 1].end;
    placeOf[t] = placeOf[t - 1] + (same ? 0 : 1);
  }
  const taken = new Map<string, Set<number>>();
  const out: Reason[] = [];
  const ordered = [...found].sort((a, b) => rank(b.reason.level) - rank(a.reason.level) || b.reason.end - b.reason.start - (a.reason.end - a.reason.start));
  for (const { reason, from, to } of ordered) {
    let places = taken.get(reason.rule);
    if (!places) taken.set(reason.rule, (places = new Set()));
    const first = placeOf[from];
    const last = placeOf[to - 1];
    let free = true;
    for (let p = first; p <= last && free; p++) free = !places.has(p);
    if (!free) continue;
    for (let p = first; p <= last; p++) places.add(p);
    out.push(reason);
  }
  return out.sort((a, b) => a.start - b.start || rank(b.level) - rank(a.level));
}

/**
 * A pattern as matching reads it. An atom's alternatives become one set of keys (forms and stems),
 * and a run of one-word alternatives in a slot (a class such as <household>, forty words long)
 * becomes one atom: a token is then tested by looking its few keys up, not by walking every word.
 * The order of the slot's alternatives is kept, so the match found is the one the lexicon's order
 * gives, as before; one-word alternatives side by side all end at the same place.
 */
type FastAtom = { keys: Set<string> } | { num: [number, number] };
type FastSlot = { kind: 'phrases'; phrases: FastAtom[][]; optional: boolean } | { kind: 'gap'; max: number };
type FastPattern = FastSlot[];

function fastAtom(atom: Atom): FastAtom {
  if ('num' in atom) return atom;
  const keys = new Set<string>();
  for (const w of atom.words) {
    keys.add(w.word);
    if (w.stemKey !== undefined) keys.add(w.stemKey);
  }
  return { keys };
}

function fastPattern(pattern: CompiledPattern): FastPattern {
  return pattern.map((slot): FastSlot => {
    if (slot.kind === 'gap') return slot;
    const phrases: FastAtom[][] = [];
    for (const phrase of slot.phrases) {
      const atom = fastAtom(phrase[0]);
      const previous = phrases[phrases.length - 1];
      if (phrase.length === 1 && 'keys' in atom && previous?.length === 1 && 'keys' in previous[0]) {
        for (const key of atom.keys) previous[0].keys.add(key);
      } else {
        phrases.push(phrase.length === 1 ? [atom] : phrase.map(fastAtom));
      }
    }
    return { kind: 'phrases', phrases, optional: slot.optional };
  });
}

function atomMatches(atom: FastAtom, token: Token): boolean {
  if ('num' in atom) return token.num !== undefined && token.num >= atom.num[0] && token.num <= atom.num[1];
  for (const key of token.keys) if (atom.keys.has(key)) return true;
  return false;
}

/** The end (exclusive) of the shortest match of `slots[si..]` starting at token `pos`, or -1. */
function matchSlots(tokens: Token[], pos: number, slots: FastPattern, si: number): number {
  if (si === slots.length) return pos;
  const slot = slots[si];
  if (slot.kind === 'gap') {
    for (let skip = 0; skip <= slot.max && pos + skip <= tokens.length; skip++) {
      if (skip > 0 && tokens[pos + skip - 1].clause !== tokens[pos - 1].clause) break;
      const end = matchSlots(tokens, pos + skip, slots, si + 1);
      if (end >= 0) return end;
    }
    return -1;
  }
  for (const phrase of slot.phrases) {
    if (pos + phrase.length > tokens.length) continue;
    let ok = true;
    for (let k = 0; k < phrase.length && ok; k++) ok = atomMatches(phrase[k], tokens[pos + k]);
    if (!ok) continue;
    const end = matchSlots(tokens, pos + phrase.length, slots, si + 1);
    if (end >= 0) return end;
  }
  if (slot.optional) return matchSlots(tokens, pos, slots, si + 1);
  return -1;
}

function vocabulary(items: Indexed[]): Set<string> {
  const words = new Set<string>();
  const addAtom = (atom: Atom) => {
    if ('words' in atom) for (const w of atom.words) if (/^[a-z]+$/.test(w.word)) words.add(w.word);
  };
  for (const item of items) {
    for (const slot of item.pattern) if (slot.kind === 'phrases') for (const phrase of slot.phrases) phrase.forEach(addAtom);
  }
  return words;
}

export function readProtectedWords(path = PROTECTED_WORDS_PATH): Set<string> {
  try {
    return new Set(readFileSync(path, 'utf8').split('\n').map((w) => w.trim()).filter((w) => w && !w.startsWith('#')));
  } catch {
    return new Set();
  }
}
