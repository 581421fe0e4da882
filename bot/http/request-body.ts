import type { Request, Response, Next } from 'restify';
import { sendJson } from './respond';

/** The request body types Lamplight reads; nothing else is ever parsed, and nothing touches the disk. */
export type BodyType = 'json' | 'form';

const MEDIA_TYPES: Record<BodyType, string> = {
  json: 'application/json',
  form: 'application/x-www-form-urlencoded',
};

export interface BodyRule {
  /** Routes whose path starts with this take the body types below. The first matching rule wins. */
  pathPrefix: string;
  types: BodyType[];
  /** False for provider webhooks: their adapters read the raw bytes once, after the signature check. */
  parse?: boolean;
}

export interface BodyOptions {
  rules: BodyRule[];
  maxBytes: number;
}

/**
 * The one body reader for every route. restify's bodyParser accepted multipart uploads past the
 * size limit and left the files in the temp folder; this reads only the types a route expects
 * (415 otherwise), counts bytes whatever the type or transfer encoding (413 past the limit), and
 * keeps the exact bytes as `rawBody` for signature checks. JSON is parsed for JSON routes; form
 * posts stay raw, because their signatures (Twilio's) cover the fields as sent and the adapter
 * reads them once.
 */
export function readRequestBody(options: BodyOptions) {
  return (req: Request, res: Response, next: Next): void => {
    if (!hasBody(req)) {
      (req as RequestWithBody).rawBody = Buffer.alloc(0);
      return next();
    }
    const rule = options.rules.find((r) => (req.path?.() ?? req.url ?? '').startsWith(r.pathPrefix));
    const accepted = (rule?.types ?? []).map((t) => MEDIA_TYPES[t]);
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (!accepted.includes(mediaType) || encoding !== 'identity') {
      refuse(res, 415, 'unsupported_media_type', accepted.length ? `send ${accepted.join(' or ')}${encoding !== 'identity' ? ', not compressed' : ''}` : 'this route takes no request body', accepted);
      return next(false);
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      refuse(res, 413, 'too_large', `the body is larger than ${options.maxBytes} bytes`);
      return next(false);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    const finish = (outcome: () => void) => {
      if (finished) return;
      finished = true;
      outcome();
    };
    req.on('data', (chunk: Buffer) => {
      if (finished) return;
      size += chunk.length;
      if (size > options.maxBytes) {
        finish(() => {
          refuse(res, 413, 'too_large', `the body is larger than ${options.maxBytes} bytes`);
          req.pause();
          next(false);
        });
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => finish(() => next(false)));
    req.on('end', () => finish(() => {
      const raw = Buffer.concat(chunks);
      const target = req as RequestWithBody;
      target.rawBody = raw;
      if (mediaType === MEDIA_TYPES.json && rule?.parse !== false) {
        try {
          target.body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
        } catch {
          refuse(res, 400, 'bad_json', 'the body is not valid JSON');
          return next(false);
        }
      }
      next();
    }));
  };
}

type RequestWithBody = Request & { rawBody?: Buffer; body?: unknown };

function hasBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

function refuse(res: Response, status: number, code: string, message: string, accepted: string[] = []): void {
  // The rest of a refused body is not read: the connection closes after the answer.
  sendJson(res, status, { error: code, message }, { connection: 'close', ...(accepted.length ? { accept: accepted.join(', ') } : {}) });
}
