import { makeStyles, tokens } from '@fluentui/react-components';
import type { ReactNode } from 'react';
import type { Reason } from './types';

const useStyles = makeStyles({
  high: { backgroundColor: tokens.colorPaletteRedBackground2, color: tokens.colorPaletteRedForeground2, fontWeight: tokens.fontWeightSemibold, borderRadius: '2px' },
  medium: { backgroundColor: tokens.colorPaletteMarigoldBackground2, color: tokens.colorNeutralForeground1, borderRadius: '2px' },
  control: { fontFamily: 'monospace', fontSize: '0.8em', color: tokens.colorNeutralForeground3 },
});

// Bidirectional controls (U+202A-202E, U+2066-2069) and zero-width joiners can disguise text;
// they are shown as visible codes instead of being obeyed.
const CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200B-\u200F\u061C]/g;

function visible(text: string, key: string, controlClass: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(CONTROLS)) {
    if (match.index! > last) out.push(text.slice(last, match.index));
    out.push(<span key={`${key}-${match.index}`} className={controlClass} title="invisible control character">{`[U+${match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}]`}</span>);
    last = match.index! + match[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** Message text as text (React escapes it), with triage's matched phrases marked. Never HTML. */
export function SafeText({ text, reasons = [] }: { text: string; reasons?: Reason[] }) {
  const styles = useStyles();
  // The matched words, and the words that raised them or took part with them ("i have the pills").
  const spans = reasons.filter((r) => r.level !== 'none').flatMap((r) => [r, ...(r.also ?? []).map((a) => ({ ...a, level: r.level, category: r.category, why: r.why }))]);
  const marks = spans.filter((r) => r.start >= 0 && r.end <= text.length && r.start < r.end)
    .sort((a, b) => a.start - b.start)
    .filter((r, i, all) => i === 0 || r.start >= all[i - 1].end);
  const out: ReactNode[] = [];
  let at = 0;
  marks.forEach((r, i) => {
    if (r.start > at) out.push(...visible(text.slice(at, r.start), `t${i}`, styles.control));
    out.push(<mark key={`m${i}`} className={r.level === 'high' ? styles.high : styles.medium} title={`${r.level} risk: ${r.category}${r.why ? ` (${r.why})` : ''}`}>{visible(text.slice(r.start, r.end), `m${i}`, styles.control)}</mark>);
    at = r.end;
  });
  if (at < text.length) out.push(...visible(text.slice(at), 'tail', styles.control));
  return <span dir="auto" style={{ unicodeBidi: 'isolate', whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{out}</span>;
}
