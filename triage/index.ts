import { TriageEngine } from './engine';
import { LexiconEntry, loadLexicon, LEXICON_PATH } from './lexicon';

export type { Assessment, Reason } from './engine';
export type { Level, LexiconEntry } from './lexicon';
export { assessSafely, TRIAGE_FAILED, TRIAGE_MAX_CHARS, TriageEngine } from './engine';
export { LexiconError } from './lexicon';

/** The engine for the shared lexicon plus a service's own additions (from the services config). */
export function buildTriageEngine(additions: LexiconEntry[] = [], lexiconPath = LEXICON_PATH): TriageEngine {
  return TriageEngine.load(loadLexicon(lexiconPath, additions));
}
