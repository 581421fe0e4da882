import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response, Next } from 'restify';

/**
 * Security headers on every answer, from helmet. The API and webhooks are never framed and never
 * sniffed; the clinician tab under /app/ must be framable by Teams, so it sets its own
 * Content-Security-Policy (with frame-ancestors naming the Teams hosts, see tab.ts) and gets no
 * X-Frame-Options, which cannot name several hosts. HSTS only when the public URL is https.
 */
export function securityHeaders(publicUrlIsHttps: boolean) {
  const hsts = publicUrlIsHttps ? { maxAge: 31_536_000, includeSubDomains: true } : false;
  const everywhere = { strictTransportSecurity: hsts, referrerPolicy: { policy: 'no-referrer' as const } };
  // Pages that set their own Content-Security-Policy (with their own frame-ancestors) and so no X-Frame-Options.
  const ownFraming = { ...everywhere, contentSecurityPolicy: false, xFrameOptions: false } as const;
  const api = helmet({
    ...everywhere,
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] } },
    xFrameOptions: { action: 'deny' },
  });
  // The tab may open the identity provider's sign-in in a popup inside Teams.
  const tab = helmet({ ...ownFraming, crossOriginOpenerPolicy: { policy: 'same-origin-allow-popups' } });
  // The service user's chat page: its frame-ancestors name the service's own sites (the widget);
  // its files (widget.js) load from those sites, so they are cross-origin resources.
  const chat = helmet({ ...ownFraming, crossOriginResourcePolicy: { policy: 'cross-origin' } });
  return (req: Request, res: Response, next: Next): void => {
    const path = (req.url ?? '/').split('?')[0];
    const handler = path === '/app' || path.startsWith('/app/') ? tab : path.startsWith('/chat/') ? chat : api;
    handler(req as unknown as IncomingMessage, res as unknown as ServerResponse, () => next());
  };
}
