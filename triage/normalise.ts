/**
 * The text the engine reads, and the way back to the text that was sent.
 *
 * Risk hides behind characters a reader does not see or cannot tell apart: a zero-width space or
 * soft hyphen inside "kill", a Cyrillic і in "kіll", fullwidth or mathematical letters. The engine
 * reads each character's NFKC form, without invisible (format) characters, with letters that look
 * like Latin letters read as those letters. A clinician must still see what was typed, so every
 * character of the normalised text remembers the character of the original it came from.
 */
export interface NormalisedText {
  readonly text: string;
  /**
   * Positions in `text` where a zero-width space was taken out. It is the one invisible character
   * that means a word break ("kill\u200Bmyself" is two words) but is also slipped inside words to
   * hide them ("k\u200Bill"): the tokeniser decides which, by whether the joined word reads.
   */
  readonly softBreaks: readonly number[];
  /** The span of the original text that `text.slice(start, end)` came from: whole characters. */
  originalSpan(start: number, end: number): { start: number; end: number };
}

const PLAIN_ASCII = /^[\x00-\x7F]*$/;
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
const MARK = /\p{M}/u;
const ZERO_WIDTH_SPACE = '\u200B';
const ZERO_WIDTH_JOINER = '\u200D';
// The joiner inside an emoji sequence (👩‍⚕️) is part of the emoji; between letters it only hides a word.
const EMOJI_BEFORE_JOINER = /[\p{Extended_Pictographic}\p{Emoji_Modifier}]$/u;
/**
 * No writing system stacks more than a few marks on a letter; "zalgo" text stacks thousands, and
 * Unicode normalisation reorders a letter's marks with an insertion sort: quadratic in their number.
 * Marks past this many are not read (they stay in the original, inside the letter's span).
 */
const MAX_MARKS_READ_PER_LETTER = 8;

/**
 * Letters that look like Latin letters, read as those letters. Written out rather than taken from
 * Unicode's confusables table (TR39), which also maps digits to letters (0 to O, 1 to l) and would
 * stop "took 30" being read as a number, and which does not take every look-alike people type for a
 * Latin letter (lower-case в н т, small capitals) to that letter. Cyrillic, Greek and the Latin
 * small capitals and dotless letters that "fancy text" generators use.
 */
const LOOK_ALIKES: readonly [from: string, to: string][] = [
  // Cyrillic, lower and upper case
  ['аеорсухіјѕкмнтвԁһӏԛԝүғ', 'aeopcyxijskmhtbdhlqwyf'],
  ['АВЕКМНОРСТУХІЈЅԀҺӀԚԜҮ', 'ABEKMHOPCTYXIJSDHlQWY'],
  // Greek
  ['οαεικνρτυχγ', 'oaeikvptuxy'],
  ['ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ', 'ABEZHIKMNOPTYX'],
  // Latin small capitals and dotless letters
  ['ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢıȷɑɡɩ', 'abcdefghijklmnoprstuvwyzijagi'],
];
const FOLD = new Map<string, string>();
for (const [from, to] of LOOK_ALIKES) {
  const letters = [...from];
  if (letters.length !== to.length) throw new Error(`look-alike table: "${from}" and "${to}" differ in length`);
  letters.forEach((letter, i) => FOLD.set(letter, to[i]));
}

/** Every look-alike letter the engine folds, and the Latin letter it reads it as (for tests and review). */
export const LOOK_ALIKE_LETTERS: ReadonlyMap<string, string> = FOLD;

function fold(text: string): string {
  let out = '';
  for (const c of text) out += FOLD.get(c) ?? c;
  return out;
}

/** One character as the engine reads it: compatibility form, look-alikes folded. */
function readable(character: string): string {
  // Decomposed first so that an accented look-alike (ё, ό) folds too; composed again after.
  return fold(character.normalize('NFKD')).normalize('NFKC');
}

export function normalise(original: string): NormalisedText {
  // Most messages are plain ASCII: they read as they are, each character mapped to itself.
  if (PLAIN_ASCII.test(original)) {
    return {
      text: original,
      softBreaks: [],
      originalSpan: (start: number, end: number) => ({ start, end }),
    };
  }
  const parts: string[] = [];
  // For each code unit of the normalised text: the original character (with its marks) it came from.
  let fromStart = new Int32Array(original.length + 16);
  let fromEnd = new Int32Array(original.length + 16);
  const softBreaks: number[] = [];
  let length = 0;
  let last = '';
  const reserve = (count: number) => {
    if (length + count <= fromStart.length) return;
    // Compatibility forms can be longer than the character (ﬃ is ffi): grow, rarely.
    fromStart = grown(fromStart, 2 * (length + count));
    fromEnd = grown(fromEnd, 2 * (length + count));
  };
  /** One original character (with its marks) read as `piece`: each unit of it maps to the whole character. */
  const emit = (piece: string, start: number, end: number) => {
    reserve(piece.length);
    fromStart.fill(start, length, length + piece.length);
    fromEnd.fill(end, length, length + piece.length);
    parts.push(piece);
    length += piece.length;
    last = piece;
  };
  /** Original characters that read as themselves, one for one. */
  const emitAsIs = (start: number, end: number) => {
    reserve(end - start);
    for (let k = start; k < end; k++, length++) {
      fromStart[length] = k;
      fromEnd[length] = k + 1;
    }
    parts.push((last = original.slice(start, end)));
  };

  let i = 0;
  while (i < original.length) {
    const start = i;
    const code = original.charCodeAt(i);
    if (code < 0x80) {
      // A run of plain ASCII reads as itself, character for character (its last character may carry marks).
      let end = i + 1;
      while (end < original.length && original.charCodeAt(end) < 0x80) end++;
      if (end < original.length && MARK.test(codePointAt(original, end))) end--;
      if (end > i) {
        emitAsIs(i, end);
        i = end;
        continue;
      }
    }
    const base = codePointAt(original, i);
    i += base.length;
    let character = base;
    let marks = 0;
    while (i < original.length) {
      const next = codePointAt(original, i);
      if (!MARK.test(next)) break;
      // Invisible marks (variation selectors, the grapheme joiner) change nothing the engine reads,
      // and an emoji selector after a letter would let a joiner after it pass as part of an emoji.
      if (!INVISIBLE.test(next) && marks++ < MAX_MARKS_READ_PER_LETTER) character += next;
      i += next.length;
    }
    if (INVISIBLE.test(base)) {
      if (base === ZERO_WIDTH_JOINER && EMOJI_BEFORE_JOINER.test(last)) emit(base, start, i);
      else if (base === ZERO_WIDTH_SPACE && length > 0 && softBreaks[softBreaks.length - 1] !== length) softBreaks.push(length);
      continue;
    }
    emit(readable(character), start, i);
  }

  const text = parts.join('');
  return {
    text,
    softBreaks,
    originalSpan(spanStart: number, spanEnd: number) {
      if (spanEnd > spanStart) return { start: fromStart[spanStart], end: fromEnd[spanEnd - 1] };
      const at = spanStart < length ? fromStart[spanStart] : original.length;
      return { start: at, end: at };
    },
  };
}

function grown(array: Int32Array<ArrayBuffer>, capacity: number): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(capacity);
  bigger.set(array);
  return bigger;
}

/** The code point at `index` as a string; a lone surrogate stays one code unit. */
function codePointAt(text: string, index: number): string {
  return String.fromCodePoint(text.codePointAt(index)!);
}
