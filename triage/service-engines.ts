import { TriageEngine } from './engine';
import { entryListSchema, LexiconError, loadLexicon, LEXICON_PATH } from './lexicon';
import { readProtectedWords, TRIAGE_MAX_CHARS } from './engine';
import { SecondOpinion } from './second-opinion';

/**
 * One engine per service: the shared lexicon plus the service's own additions from the services
 * config. Built once at start-up; a malformed lexicon or addition stops the start, naming it.
 */
export class ServiceTriage {
  private readonly engines = new Map<string, TriageEngine>();

  constructor(services: { slug: string; triageAdditions: unknown[] }[], lexiconPath = LEXICON_PATH) {
    const protectedWords = readProtectedWords();
    const secondOpinion = SecondOpinion.load();
    const shared = new TriageEngine(loadLexicon(lexiconPath), protectedWords, TRIAGE_MAX_CHARS, secondOpinion);
    for (const service of services) {
      if (service.triageAdditions.length === 0) {
        this.engines.set(service.slug, shared);
        continue;
      }
      const additions = entryListSchema.safeParse(service.triageAdditions);
      if (!additions.success) {
        const issue = additions.error.issues[0];
        throw new LexiconError(`additions of service ${service.slug}`, `${issue.path.join('.')}: ${issue.message}`);
      }
      this.engines.set(service.slug, new TriageEngine(loadLexicon(lexiconPath, additions.data), protectedWords, TRIAGE_MAX_CHARS, secondOpinion));
    }
  }

  forService(slug: string): TriageEngine {
    const engine = this.engines.get(slug);
    if (!engine) throw new Error(`no triage engine for service ${slug}`);
    return engine;
  }
}
