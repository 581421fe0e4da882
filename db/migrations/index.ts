import { InitialSchema1764000000000 } from './1764000000000-InitialSchema';

/** In order. A new migration is appended here; an applied one is never edited. */
export const migrations = [InitialSchema1764000000000];
