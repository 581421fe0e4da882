import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import type { Request, Response, Server } from 'restify';
import type { WebSignIn } from './auth/web-sign-in';
import { sendJson } from './respond';

const WEB_ROOT = join(__dirname, '..', '..', 'teams-app', 'web');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml', '.json': 'application/json',
};

/**
 * The clinician tab (teams-app/, built by Vite) under /app/. Only Teams and this origin may frame
 * it. Fluent UI writes its styles at run time, hence inline styles; scripts come only from here.
 */
const csp = (connectOrigins: string[]) => [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:", `connect-src ${["'self'", ...connectOrigins].join(' ')}`,
  "frame-ancestors 'self' https://teams.microsoft.com https://*.teams.microsoft.com https://*.cloud.microsoft https://*.office.com",
  "base-uri 'none'", "form-action 'none'",
].join('; ');

export function registerTab(server: Server, signIn: WebSignIn): void {
  // The built files do not change while the server runs: read each once.
  const files = new Map<string, Buffer>();
  const read = (file: string) => {
    let body = files.get(file);
    if (!body) files.set(file, (body = readFileSync(file)));
    return body;
  };
  const exists = (file: string) => files.has(file) || existsSync(file);
  const send = (res: Response, file: string) => {
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': file.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      'content-security-policy': csp(signIn.connectOrigins()),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    res.end(read(file));
  };
  server.get('/', async (_req: Request, res: Response) => {
    res.writeHead(302, { location: '/app/' });
    res.end();
  });
  // How the page signs in when it is not inside Teams: public, no token needed.
  server.get('/app/sign-in.json', async (_req: Request, res: Response) => {
    try {
      sendJson(res, 200, await signIn.config(), { 'cache-control': 'no-store' });
    } catch {
      sendJson(res, 503, { error: 'sign_in_unavailable', message: 'the identity provider cannot be reached; try again in a minute' });
    }
  });
  server.get('/app/*', async (req: Request, res: Response) => {
    const path = normalize(decodeURIComponent((req.url ?? '').split('?')[0].replace(/^\/app\/?/, '')));
    const file = join(WEB_ROOT, path);
    if (!file.startsWith(WEB_ROOT)) return void res.send(404);
    if (path && path !== '.' && !file.endsWith('/') && exists(file)) return send(res, file);
    const index = join(WEB_ROOT, 'index.html');
    if (!exists(index)) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('The clinician tab is not built: run npm run build');
    }
    send(res, index);
  });
}
