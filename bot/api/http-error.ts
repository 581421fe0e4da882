/** An error that is the client's to fix or to know about: it becomes that status and a JSON body. */
export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * A refusal on access grounds (not found in my services, or not my role): audited as `denied`.
 * `services` are those the refused target belongs to, so their admins see the attempt; they never
 * reach the response, which discloses nothing about another service.
 */
export class AccessRefused extends HttpError {
  constructor(status: 403 | 404, code: string, message: string, readonly services: string[] = []) {
    super(status, code, message);
    this.name = 'AccessRefused';
  }
}

export const notFound = (what = 'not found', services: string[] = []) => new AccessRefused(404, 'not_found', what, services);
export const forbidden = (message: string, services: string[] = []) => new AccessRefused(403, 'forbidden', message, services);
export const badRequest = (message: string) => new HttpError(400, 'bad_request', message);
export const conflict = (code: string, message: string) => new HttpError(409, code, message);
