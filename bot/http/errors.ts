import { Problem, ProblemKind } from '../problems';

/** An HTTP-only refusal (authentication, body size and type, rate limits): that status and a JSON body. */
export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
  }
}

const PROBLEM_STATUS: ReadonlyMap<ProblemKind, number> = new Map<ProblemKind, number>([
  ['invalid', 400],
  ['forbidden', 403],
  ['not_found', 404],
  ['conflict', 409],
]);

/** The status, code and message a client is told for an error that is theirs to fix or know about; undefined for anything else (a 5xx). */
export function clientError(error: unknown): { status: number; code: string; message: string; headers: Record<string, string> } | undefined {
  if (error instanceof HttpError) return { status: error.status, code: error.code, message: error.message, headers: error.headers };
  if (error instanceof Problem) return { status: PROBLEM_STATUS.get(error.kind)!, code: error.code, message: error.message, headers: {} };
  return undefined;
}
