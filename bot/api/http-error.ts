/** An error that is the client's to fix or to know about: it becomes that status and a JSON body. */
export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what = 'not found') => new HttpError(404, 'not_found', what);
export const badRequest = (message: string) => new HttpError(400, 'bad_request', message);
export const conflict = (code: string, message: string) => new HttpError(409, code, message);
