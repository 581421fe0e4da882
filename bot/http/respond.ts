import type { Request, Response } from 'restify';
import type { Logger } from 'pino';
import type { WebhookRequest, WebhookResponse } from '../../adapters/channel';
import { clientError } from './errors';

/** restify keeps the unparsed body as `rawBody`: signatures are checked on those bytes. */
export function toWebhookRequest(req: Request): WebhookRequest {
  const raw = (req as Request & { rawBody?: string | Buffer }).rawBody;
  return {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers: req.headers,
    rawBody: raw === undefined ? Buffer.alloc(0) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8'),
  };
}

export function sendWebhookResponse(res: Response, response: WebhookResponse): void {
  res.writeHead(response.status, { 'content-type': response.contentType, 'cache-control': 'no-store' });
  res.end(response.body);
}

export function sendJson(res: Response, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

const DATABASE_ERRORS = new Set(['QueryFailedError', 'ConnectionIsNotSetError', 'CannotExecuteNotConnectedError', 'SqliteError']);

export function isDatabaseFailure(error: unknown): boolean {
  const e = error as { name?: string; code?: string };
  return DATABASE_ERRORS.has(e?.name ?? '') || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03'].includes(e?.code ?? '');
}

/** Wraps a JSON route: refusals (problems, HTTP errors) become their status, database trouble 503, anything else 500, never a crash. */
export function jsonRoute(log: Logger, handler: (req: Request) => Promise<{ status?: number; body: unknown } | unknown>) {
  return async (req: Request, res: Response): Promise<void> => {
    try {
      const result = await handler(req);
      const shaped = result && typeof result === 'object' && 'body' in (result as object) ? (result as { status?: number; body: unknown }) : { body: result };
      sendJson(res, shaped.status ?? 200, shaped.body);
    } catch (error) {
      const refusal = clientError(error);
      if (refusal) return sendJson(res, refusal.status, { error: refusal.code, message: refusal.message }, refusal.headers);
      const database = isDatabaseFailure(error);
      log.error({ event: 'api.error', route: req.getRoute?.()?.path, err: { name: (error as Error)?.name } }, 'request failed');
      sendJson(res, database ? 503 : 500, database ? { error: 'unavailable', message: 'the database is unavailable; try again shortly' } : { error: 'internal', message: 'something went wrong' });
    }
  };
}
