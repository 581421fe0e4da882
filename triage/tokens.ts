// eslint-disable-next-line @typescript-eslint/no-require-imports
const { stem: porterStem } = require('natural/lib/natural/stemmers/porter_stemmer') as { stem: (word: string) => string };

/**
 * Turning a text message into tokens the lexicon can match, the way people really text.
 * Every token keeps the character span it came from in the original text, so a matched phrase
 * can be highlighted exactly. A token carries several forms: what was typed, what it expands to
 * (text-speak, contractions), its de-leeted and de-repeated spellings, a correction towards a
 * lexicon word, and Porter stems of all of these.
 */
export interface Token {
  start: number;
  end: number;
  /** Forms and `s:`-prefixed stems; a pattern word matches when its form or stem is here. */
  keys: Set<string>;
  /** The numeric value, for `{num:a-b}` slots (digits, decimals, number words). */
  num?: number;
  /** Index of the clause (split at . ! ? ; , and "but") for negation and context scope. */
  clause: number;
}

export interface Speller {
  /** A lexicon word this unknown word is a slip for, or undefined. */
  correct(word: string): string | undefined;
  /** Words the lexicon uses, or real English words: these are never "corrected". */
  isKnown(word: string): boolean;
  /** Whether this Porter stem is the stem of a lexicon word ("crash" for "crashing"). */
  isLexiconStem(stem: string): boolean;
  /** Lexicon words that fit a masked word, where each `*` stands for one letter. */
  unmask(masked: string): string[];
}

// Keyed by what people type: Maps, because a plain object answers "constructor" or "__proto__"
// with something from Object.prototype.
const CONTRACTIONS = wordMap<string[]>({
  im: ['i', 'am'], ive: ['i', 'have'], dont: ['do', 'not'], cant: ['can', 'not'], cannot: ['can', 'not'], wont: ['will', 'not'],
  wouldnt: ['would', 'not'], couldnt: ['could', 'not'], shouldnt: ['should', 'not'], isnt: ['is', 'not'], arent: ['are', 'not'],
  wasnt: ['was', 'not'], werent: ['were', 'not'], didnt: ['did', 'not'], doesnt: ['does', 'not'], havent: ['have', 'not'],
  hasnt: ['has', 'not'], aint: ['is', 'not'], hes: ['he', 'is'], shes: ['she', 'is'], theyre: ['they', 'are'], youre: ['you', 'are'],
  thats: ['that', 'is'], theres: ['there', 'is'], whats: ['what', 'is'], theyve: ['they', 'have'], weve: ['we', 'have'],
  tonights: ['tonight', 'is'], todays: ['today', 'is'], its: ['it', 'is'],
  // "will" without its apostrophe, where the bare word is no other word (not ill, hell, shell, well, we'll).
  theyll: ['they', 'will'], youll: ['you', 'will'], itll: ['it', 'will'], ull: ['you', 'will'], theyd: ['they', 'would'],
  // Scots negatives: "cannae", "dinnae".
  cannae: ['can', 'not'], canna: ['can', 'not'], dinnae: ['do', 'not'], didnae: ['did', 'not'], wouldnae: ['would', 'not'],
  couldnae: ['could', 'not'], willnae: ['will', 'not'], isnae: ['is', 'not'], wasnae: ['was', 'not'], doesnae: ['does', 'not'],
  havenae: ['have', 'not'], shouldnae: ['should', 'not'], disnae: ['does', 'not'],
});
/**
 * Dialect and slang across the UK (Scots, Geordie, Scouse, London): the word as typed stays one of
 * the token's forms, and these are added beside it, so "me da" reads as "my dad" and still as "me".
 */
const DIALECT = wordMap<string[]>({
  masel: ['myself'], maself: ['myself'], mysel: ['myself'], masell: ['myself'], mesel: ['myself'], yersel: ['yourself'],
  ma: ['my', 'mum'], me: ['my'], da: ['dad'], maw: ['mum'], mammy: ['mum'], wean: ['baby', 'child'], bairn: ['baby', 'child'],
  weans: ['children', 'kids'], bairns: ['children', 'kids'], greetin: ['crying'], nae: ['no', 'not'], naebody: ['nobody'], naeb: ['nobody'],
  hame: ['home'], hoose: ['house'], wi: ['with'], wiv: ['with'], aw: ['all'], awfy: ['awful', 'very'], ony: ['any'], oot: ['out'],
  doon: ['down'], aboot: ['about'], tae: ['to'], fae: ['from'], frae: ['from'], o: ['of'], hale: ['whole'], wud: ['would'], cud: ['could'],
  shud: ['should'], gannin: ['going'], yous: ['you'], youse: ['you'], bevvy: ['drink'], bevvies: ['drinks'], fella: ['boyfriend', 'partner'],
  boyf: ['boyfriend'], bruv: ['brother'], lil: ['little'], shottin: ['selling', 'dealing'], shotting: ['selling', 'dealing'], graftin: ['working', 'selling'],
  necked: ['took', 'swallowed'], paras: ['paracetamol'], dun: ['done'], scran: ['food'], telly: ['tv'], morra: ['tomorrow'], dem: ['them'],
  dey: ['they'], wen: ['when'], wiz: ['was'], aye: ['yes'], canny: ['nice'], pure: ['really'], bare: ['very'],
  tara: ['bye'], ta: ['thanks'], mate: ['friend'], nite: ['night'], lst: ['last'],
});
/** Only with an apostrophe: without one these are ordinary words (ill, hell, shell, well, id). */
const APOSTROPHE_CONTRACTIONS = wordMap<string[]>({
  "i'll": ['i', 'will'], "he'll": ['he', 'will'], "she'll": ['she', 'will'], "they'll": ['they', 'will'], "we'll": ['we', 'will'],
  "you'll": ['you', 'will'], "i'd": ['i', 'would'], "he'd": ['he', 'would'], "she'd": ['she', 'would'], "they'd": ['they', 'would'],
  "we're": ['we', 'are'], "it's": ['it', 'is'], "i'm": ['i', 'am'], "i've": ['i', 'have'], "naebody'll": ['nobody', 'will'],
  // An overdose as a verb: "od'd", "od'ed", "od'ing" (issue 11).
  "od'd": ['overdosed'], "od'ed": ['overdosed'], "od'ing": ['overdosing'], "o.d'd": ['overdosed'],
});
const TEXT_SPEAK = wordMap<string[]>({
  u: ['you'], ur: ['your'], r: ['are'], wanna: ['want', 'to'], gonna: ['going', 'to'], gotta: ['got', 'to'], tryna: ['trying', 'to'],
  '2nite': ['tonight'], '2night': ['tonight'], tonite: ['tonight'], tnite: ['tonight'], '2day': ['today'], '2moro': ['tomorrow'],
  '2morrow': ['tomorrow'], '2mrw': ['tomorrow'], tmrw: ['tomorrow'], tmr: ['tomorrow'], tmoz: ['tomorrow'], tomoz: ['tomorrow'],
  b4: ['before'], pls: ['please'], plz: ['please'], coz: ['because'], cos: ['because'], cuz: ['because'], bc: ['because'],
  rn: ['right', 'now'], ppl: ['people'], sum1: ['someone'], some1: ['someone'], ne1: ['anyone'], any1: ['anyone'], no1: ['no', 'one'],
  bf: ['boyfriend'], gf: ['girlfriend'], mom: ['mum'], mam: ['mum'], mommy: ['mummy'], bro: ['brother'], sis: ['sister'],
  yrs: ['years'], yr: ['year'], yo: ['years', 'old'], nvr: ['never'], n: ['and'], ded: ['dead'], dnt: ['do', 'not'],
  cnt: ['can', 'not'], wnt: ['want'], luv: ['love'], thx: ['thanks'], abt: ['about'], smth: ['something'], sth: ['something'],
  myslf: ['myself'], urself: ['yourself'], selfharm: ['self', 'harm'], selfharming: ['self', 'harming'],
  '2': ['2', 'to'], '4': ['4', 'for'], gn: ['goodnight'],
});
const NUMBER_WORDS = wordMap<number>({
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12, thirteen: 13,
  fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19, twenty: 20, thirty: 30, forty: 40, fifty: 50,
  sixty: 60, hundred: 100, dozen: 12,
});
const LEET = wordMap<string>({ '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '@': 'a', $: 's', '!': 'i', '|': 'l', '+': 't' });

/** Emoji that carry meaning in risk messages; they become words the lexicon can use. */
export const EMOJI_WORDS: ReadonlyMap<string, string> = wordMap<string>({
  '💊': 'pills', '🔪': 'knife', '🗡': 'knife', '🪦': 'grave', '⚰': 'coffin', '🔫': 'gun', '🪢': 'rope', '🩸': 'blood',
  '💉': 'needle', '🚆': 'train', '🚂': 'train', '🌉': 'bridge', '😂': 'lol', '🤣': 'lol', '💀': 'lol', '☠': 'skull', '😭': 'crying',
  '💔': 'heartbroken', '🕯': 'candle', '👋': 'wave', '🕊': 'dove',
});

function wordMap<T>(entries: Record<string, T>): ReadonlyMap<string, T> {
  return new Map(Object.entries(entries));
}

const TOKEN_PATTERN = /(\p{Extended_Pictographic}(?:\uFE0F|\u200D\p{Extended_Pictographic})*)|([\p{L}\p{N}@$][\p{L}\p{N}\p{M}'’@$!*|+.]*)|([.!?;,\n]+|\s-\s)/gu;
const CLAUSE_WORDS = new Set(['but', 'although', 'though', 'however']);
const STEM_CACHE = new Map<string, string>();

function stemOf(word: string): string {
  let found = STEM_CACHE.get(word);
  if (found === undefined) {
    // Bounded: a long-running process sees endless new words; the common ones come straight back.
    if (STEM_CACHE.size > 50_000) STEM_CACHE.clear();
    found = porterStem(word);
    STEM_CACHE.set(word, found);
  }
  return found;
}

interface Piece {
  start: number;
  end: number;
  forms: string[];
  /** The letter typed, when the word was a single letter (before "u" became "you"). */
  letter?: string;
  num?: number;
  clauseBreakAfter?: boolean;
}

/**
 * Words longer than this are no words: their costly readings (spelling correction, stems,
 * unmasking) are skipped, which keeps reading a message linear in its length whatever is typed.
 * A run of repeated letters is collapsed first ("killllll...l" is still "kill").
 */
export const MAX_WORD_LETTERS = 40;

const SENTENCE_END = /[.!]/;
const TRAILING_PUNCTUATION = new Set(['.', '!', '*', '|', "'", '’', '+']);

/**
 * `softBreaks`: positions where a zero-width space was taken out of the text (see normalise.ts):
 * a word across one is read whole when the whole reads as a word ("k\u200Bill"), else as its parts
 * ("kill\u200Bmyself").
 */
export function tokenize(text: string, speller: Speller, softBreaks: readonly number[] = []): Token[] {
  const pieces: Piece[] = [];
  let breakPending = false;
  let nextBreak = 0;
  for (const match of text.matchAll(TOKEN_PATTERN)) {
    const start = match.index!;
    if (match[3] !== undefined) {
      if (pieces.length) pieces[pieces.length - 1].clauseBreakAfter = true;
      continue;
    }
    if (match[1] !== undefined) {
      const base = match[1].replace(/[\uFE0F\u200D]/g, '');
      const word = EMOJI_WORDS.get([...base][0]);
      pieces.push({ start, end: start + match[1].length, forms: word ? [word, match[1]] : [match[1]] });
      continue;
    }
    let raw = match[2];
    // Trailing punctuation belongs to the sentence, not the word ("goodbye!", "done."). Scanned
    // rather than matched with /[.!*|'’+]+$/, which retries from every character of a long run.
    let kept = raw.length;
    while (kept > 0 && TRAILING_PUNCTUATION.has(raw[kept - 1])) kept--;
    if (kept < raw.length && SENTENCE_END.test(raw.slice(kept))) breakPending = true;
    if (kept > 0) raw = raw.slice(0, kept);
    while (nextBreak < softBreaks.length && softBreaks[nextBreak] <= start) nextBreak++;
    const inside: number[] = [];
    while (nextBreak < softBreaks.length && softBreaks[nextBreak] < start + raw.length) inside.push(softBreaks[nextBreak++] - start);
    const parts = inside.length && !readsAsWord(raw, speller) ? splitAt(raw, inside) : [{ text: raw, at: 0 }];
    for (const part of parts) {
      for (const piece of cachedWordPieces(part.text)) pieces.push({ ...piece, start: start + part.at + piece.start, end: start + part.at + piece.end });
    }
    if (breakPending && pieces.length) pieces[pieces.length - 1].clauseBreakAfter = true;
    breakPending = false;
  }
  return toTokens(joinSpacedLetters(pieces, speller), speller);
}

/** Whether a word, taken whole, is one the lexicon or English knows, in any form (or text-speak for several). */
function readsAsWord(raw: string, speller: Speller): boolean {
  const pieces = wordPiecesOf(raw);
  const known = (key: string) => (key.startsWith('s:') ? speller.isLexiconStem(key.slice(2)) : speller.isKnown(key));
  return pieces.length > 1 || pieces.some((piece) => piece.num !== undefined || [...keysFor(piece.forms, speller)].some(known));
}

function splitAt(raw: string, breaks: number[]): { text: string; at: number }[] {
  const parts: { text: string; at: number }[] = [];
  let at = 0;
  for (const end of [...breaks, raw.length]) {
    if (end > at) parts.push({ text: raw.slice(at, end), at });
    at = end;
  }
  return parts;
}

// Messages reuse the same few hundred words: each typed word is taken apart once (bounded caches).
const WORD_CACHE = new Map<string, Piece[]>();
const KEY_CACHES = new WeakMap<Speller, Map<string, Set<string>>>();

function cachedWordPieces(raw: string): Piece[] {
  // A long "word" is no everyday word: caching it would only hold its memory.
  if (raw.length > MAX_WORD_LETTERS) return wordPiecesOf(raw);
  let pieces = WORD_CACHE.get(raw);
  if (!pieces) {
    if (WORD_CACHE.size > 20_000) WORD_CACHE.clear();
    pieces = wordPiecesOf(raw);
    WORD_CACHE.set(raw, pieces);
  }
  return pieces;
}

function wordPiecesOf(raw: string): Piece[] {
  const letter = /^\p{L}$/u.test(raw) ? raw.toLowerCase() : undefined;
  return wordPieces(raw, 0).map((piece) => (letter ? { ...piece, letter } : piece));
}

function keysFor(forms: string[], speller: Speller): Set<string> {
  let cache = KEY_CACHES.get(speller);
  if (!cache) KEY_CACHES.set(speller, (cache = new Map()));
  const cacheKey = forms.join('\u0001');
  let keys = cache.get(cacheKey);
  if (!keys) {
    keys = new Set<string>();
    for (const form of forms) {
      for (const variant of spellings(form, speller)) {
        keys.add(variant);
        // The Porter stemmer is quadratic in a word's length.
        if (variant.length <= MAX_WORD_LETTERS && /^[a-z]+$/.test(variant)) keys.add(`s:${stemOf(variant)}`);
      }
    }
    if (cache.size > 20_000) cache.clear();
    if (cacheKey.length <= MAX_WORD_LETTERS * 2) cache.set(cacheKey, keys);
  }
  return keys;
}

/** One typed word -> one or more pieces (dotted letters, contractions, text-speak). */
function wordPieces(raw: string, start: number): Piece[] {
  const end = start + raw.length;
  const lower = raw.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/’/g, "'");
  if (/^\d+(\.\d+)?$/.test(lower)) return [{ start, end, forms: [lower, ...(TEXT_SPEAK.get(lower)?.slice(1) ?? [])], num: Number(lower) }];
  if (lower.includes('.')) {
    const parts = lower.split('.').filter(Boolean);
    // s.u.i.c.i.d.e is one word; "done.tonight" is two.
    if (parts.every((p) => p.length === 1)) return wordPieces(parts.join(''), start).map((p) => ({ ...p, start, end }));
    let offset = 0;
    return parts.flatMap((part) => {
      const at = lower.indexOf(part, offset);
      offset = at + part.length;
      return wordPieces(part, start + at);
    });
  }
  // "ODd", "ODed": an overdose; "odd" typed in lower case stays the word odd.
  if (/^OD(?:d|ed|'d|'ed)$/.test(raw) || lower === 'oded') return [{ start, end, forms: ['overdosed'] }];
  const apostrophe = APOSTROPHE_CONTRACTIONS.get(lower) ?? APOSTROPHE_CONTRACTIONS.get(lower.replace(/^ah'/, "i'"));
  if (apostrophe) return apostrophe.map((w) => ({ start, end, forms: [w] }));
  const bare = lower.replace(/'/g, '');
  const expansion = CONTRACTIONS.get(bare) ?? (bare.endsWith("'s") ? undefined : TEXT_SPEAK.get(bare));
  if (expansion && !(bare === '2' || bare === '4')) return expansion.map((w) => ({ start, end, forms: [w] }));
  const number = NUMBER_WORDS.get(bare);
  if (bare.endsWith('s') && /^\d+s$/.test(bare)) return [{ start, end, forms: [bare], num: Number(bare.slice(0, -1)) }];
  const degrees = /^(\d{2}(?:\.\d)?)(c|degrees)$/.exec(bare);
  if (degrees) return [{ start, end, forms: [degrees[1]], num: Number(degrees[1]) }, { start, end, forms: ['degrees', 'c'] }];
  const yearsOld = /^(\d{1,2})(yo|yrs?|y)$/.exec(bare);
  if (yearsOld) return [{ start, end, forms: [yearsOld[1]], num: Number(yearsOld[1]) }, { start, end, forms: ['years'] }, { start, end, forms: ['old'] }];
  const dialect = DIALECT.get(bare);
  if (dialect) return [{ start, end, forms: [bare, ...dialect] }];
  return [{ start, end, forms: [bare.replace(/'s$/, ''), ...(bare.endsWith('s') && bare.includes("'") ? [bare.replace(/'/g, '')] : [])], num: number }];
}

/**
 * "k m s" and "s u i c i d e": three or more single letters in a row are one word. Within such a
 * run, a wider gap (two spaces or more) is a word break ("K I L L  M Y S E L F"), and a joined run
 * that is no word but two lexicon words end to end is read as those two ("k i l l m y s e l f").
 */
function joinSpacedLetters(pieces: Piece[], speller: Pick<Speller, 'isKnown'>): Piece[] {
  const out: Piece[] = [];
  for (let i = 0; i < pieces.length; ) {
    let j = i;
    while (j < pieces.length && pieces[j].letter && !(j > i && pieces[j - 1].clauseBreakAfter)) j++;
    if (j - i >= 3) {
      // Groups split at wide gaps; each group of two or more letters is a word, a lone letter stays one.
      let from = i;
      for (let k = i + 1; k <= j; k++) {
        if (k < j && pieces[k].start - pieces[k - 1].end < 2) continue;
        const group = pieces.slice(from, k);
        if (group.length === 1) out.push(group[0]);
        else out.push(...readJoined(group, speller));
        from = k;
      }
      i = j;
    } else {
      out.push(pieces[i]);
      i++;
    }
  }
  return out;
}

/** A run of single letters as one word, or as two known words when the whole is no word. */
function readJoined(group: Piece[], speller: Pick<Speller, 'isKnown'>): Piece[] {
  const letters = group.map((p) => p.letter!).join('');
  const whole: Piece = { start: group[0].start, end: group[group.length - 1].end, forms: [letters], clauseBreakAfter: group[group.length - 1].clauseBreakAfter };
  if (speller.isKnown(letters) || letters.length > MAX_WORD_LETTERS) return [whole];
  for (let cut = 2; cut <= letters.length - 2; cut++) {
    if (speller.isKnown(letters.slice(0, cut)) && speller.isKnown(letters.slice(cut))) {
      return [
        { start: group[0].start, end: group[cut - 1].end, forms: [letters.slice(0, cut)] },
        { start: group[cut].start, end: group[group.length - 1].end, forms: [letters.slice(cut)], clauseBreakAfter: whole.clauseBreakAfter },
      ];
    }
  }
  return [whole];
}

function toTokens(pieces: Piece[], speller: Speller): Token[] {
  const tokens: Token[] = [];
  let clause = 0;
  for (const piece of pieces) {
    if (CLAUSE_WORDS.has(piece.forms[0])) clause++;
    tokens.push({ start: piece.start, end: piece.end, keys: keysFor(piece.forms, speller), num: piece.num, clause });
    if (piece.clauseBreakAfter) clause++;
  }
  return tokens;
}

/** The ways a typed word may have been meant: de-leeted, unmasked, de-repeated, corrected. */
function spellings(form: string, speller: Speller): string[] {
  if (!/^[a-z]+$/.test(form)) {
    if (/^\d+(\.\d+)?$/.test(form) || /\p{Extended_Pictographic}/u.test(form)) return [form];
    const deleeted = [...form].map((c) => LEET.get(c) ?? c).join('').replace(/'/g, '');
    if (deleeted.includes('*')) return deleeted.length > MAX_WORD_LETTERS ? [form] : [form, ...speller.unmask(deleeted.replace(/[^a-z*]/g, ''))];
    if (/^[a-z]+$/.test(deleeted)) return [form, ...spellings(deleeted, speller)];
    return [form];
  }
  const out = [form];
  if (/(.)\1\1/.test(form)) {
    // "diiiie", "killlll": try both two and one of each repeated letter.
    const two = form.replace(/(.)\1{2,}/g, '$1$1');
    const one = form.replace(/(.)\1+/g, '$1');
    out.push(two, one);
  }
  // A dropped g ("wakin", "sayin"): the word with it, when that is a word we know and the word as
  // typed is not ("train" stays train). Not corrected further: "latin" must not become "eating".
  const known = speller.isKnown(form);
  if (!known && form.length >= 5 && form.endsWith('in') && speller.isKnown(`${form}g`)) return [form, `${form}g`];
  for (const candidate of [...out]) {
    if (candidate.length > MAX_WORD_LETTERS || speller.isKnown(candidate)) continue;
    const corrected = speller.correct(candidate);
    if (corrected) out.push(corrected);
  }
  return out;
}

export { stemOf };
