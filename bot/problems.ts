/**
 * What a use case says when it will not do what was asked, in its own words: the input is wrong,
 * the thing is not there (or not yours to see), not yours to do, or in the wrong state. The HTTP
 * layer turns a kind into a status (bot/http/errors.ts); Teams turns it into a sentence. No use
 * case names a status code.
 */
export type ProblemKind = 'invalid' | 'not_found' | 'forbidden' | 'conflict';

export class Problem extends Error {
  constructor(readonly kind: ProblemKind, readonly code: string, message: string) {
    super(message);
    this.name = 'Problem';
  }
}

/**
 * A refusal on access grounds (not found in my services, or not my role): audited as `denied`.
 * `services` are those the refused target belongs to, so their admins see the attempt; they never
 * reach the response, which discloses nothing about another service.
 */
export class AccessRefused extends Problem {
  constructor(kind: 'not_found' | 'forbidden', code: string, message: string, readonly services: string[] = []) {
    super(kind, code, message);
    this.name = 'AccessRefused';
  }
}

export const notFound = (what = 'not found', services: string[] = []) => new AccessRefused('not_found', 'not_found', what, services);
export const forbidden = (message: string, services: string[] = []) => new AccessRefused('forbidden', 'forbidden', message, services);
export const invalid = (message: string) => new Problem('invalid', 'bad_request', message);
export const conflict = (code: string, message: string) => new Problem('conflict', code, message);
