/**
 * What a reply costs the person who receives it: characters as they see them (an emoji is one,
 * a flag is one), and for SMS how many parts it goes in. GSM-7 carries 160 characters in one
 * message, 153 per part when split; a reply with any character outside GSM-7 (an emoji, a curly
 * quote, most accented letters) goes as UCS-2: 70 in one, 67 per part, counted in UTF-16 units.
 */
const GSM_BASIC = new Set([...'@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà']);
const GSM_EXTENDED = new Set([...'^{}\\[~]|€\f']);

export interface ReplySize {
  /** Characters as a person sees them (grapheme clusters). */
  characters: number;
  /** UTF-16 code units: what the channel's limit counts. */
  units: number;
  encoding: 'GSM-7' | 'UCS-2';
  /** SMS parts. */
  segments: number;
}

const segmenter = typeof Intl !== 'undefined' && 'Segmenter' in Intl ? new Intl.Segmenter('en', { granularity: 'grapheme' }) : undefined;

export function replySize(text: string): ReplySize {
  const characters = segmenter ? [...segmenter.segment(text)].length : [...text].length;
  let septets = 0;
  let gsm = true;
  for (const ch of text) {
    if (GSM_BASIC.has(ch)) septets += 1;
    else if (GSM_EXTENDED.has(ch)) septets += 2;
    else { gsm = false; break; }
  }
  if (gsm) return { characters, units: text.length, encoding: 'GSM-7', segments: septets === 0 ? 0 : septets <= 160 ? 1 : Math.ceil(septets / 153) };
  const units = text.length;
  return { characters, units, encoding: 'UCS-2', segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}

/** Invisible controls a reply never carries (the server takes them out too, and says how many). */
export const OUTBOUND_CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/g;
