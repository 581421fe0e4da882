import type { Request, Response, Next } from 'restify';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { HttpError } from './errors';
import { sendJson } from './respond';

export interface RateLimitOptions {
  /** Requests per minute from one address to the routes anyone may call without credentials. */
  unauthenticatedPerMinute: number;
  /** Failed authentications (401, or a webhook with a bad signature) from one address before it is shut out. */
  failedAuthentications: number;
  /** The window for those failures, and how long the address is then shut out of authenticated routes. */
  failedAuthenticationWindowSeconds: number;
  /** Clinician API requests per minute per staff member. */
  apiPerMinutePerUser: number;
  /** Reverse proxies in front (TRUST_PROXY_HOPS): the client address is that many entries from the right of X-Forwarded-For. */
  trustProxyHops: number;
}

export const DEFAULT_RATE_LIMITS: Omit<RateLimitOptions, 'trustProxyHops'> = {
  unauthenticatedPerMinute: 120,
  failedAuthentications: 50,
  failedAuthenticationWindowSeconds: 300,
  apiPerMinutePerUser: 600,
};

/**
 * Routes that need no credentials and cost something (a token signed, a sign-in discovery, a
 * demo phone). Static files of the tab are not counted: a trust's staff often share one NAT
 * address, and two hundred tabs opening at a shift change must not lock each other out.
 * Provider webhooks are not counted either: a service's messages arrive from a few provider
 * addresses, and refusing them would lose messages. Their forgeries are counted as failures.
 */
const UNAUTHENTICATED_PREFIXES = ['/dev/idp/', '/simulator/api/', '/app/sign-in.json', '/api/v1/openapi.json', '/api/webchat/'];
const NEVER_LIMITED = ['/healthz', '/readyz'];

/**
 * Rate limits, in memory per instance (each instance limits its own share; a flood spread over
 * instances is still bounded per instance). Answers 429 with Retry-After in seconds.
 */
export class RateLimits {
  private readonly unauthenticated: RateLimiterMemory;
  private readonly failures: RateLimiterMemory;
  private readonly perUser: RateLimiterMemory;

  /** `webhookPaths`: the provider webhooks and the bot endpoint, whose forged signatures (403) count as failed authentication. */
  constructor(private readonly options: RateLimitOptions, private readonly webhookPaths: string[] = []) {
    this.unauthenticated = new RateLimiterMemory({ points: options.unauthenticatedPerMinute, duration: 60 });
    this.failures = new RateLimiterMemory({ points: options.failedAuthentications, duration: options.failedAuthenticationWindowSeconds, blockDuration: options.failedAuthenticationWindowSeconds });
    this.perUser = new RateLimiterMemory({ points: options.apiPerMinutePerUser, duration: 60 });
  }

  /** restify `pre` handler: refuses an address that is shut out or over its limit, and counts failed authentications as they are answered. */
  guard() {
    return (req: Request, res: Response, next: Next): void => {
      this.admit(req, res).then((admitted) => next(admitted ? undefined : false), () => next(false));
    };
  }

  private async admit(req: Request, res: Response): Promise<boolean> {
    const path = (req.url ?? '/').split('?')[0];
    if (NEVER_LIMITED.includes(path)) return true;
    const address = this.clientAddress(req);
    const shutOut = await this.failures.get(address);
    // Web chat pages behind a shared address (a school) are never shut out by others' failures: the
    // official client stops polling for good on a 429. Their own tokens guard each chat.
    if (shutOut && shutOut.consumedPoints > this.options.failedAuthentications && !path.startsWith('/v3/directline/')) {
      tooMany(res, shutOut.msBeforeNext, 'too many failed authentications from this address; try again later');
      return false;
    }
    if (UNAUTHENTICATED_PREFIXES.some((prefix) => path.startsWith(prefix))) {
      try {
        await this.unauthenticated.consume(address);
      } catch (limited) {
        tooMany(res, msBefore(limited), 'too many requests from this address; try again later');
        return false;
      }
    }
    res.once('finish', () => {
      if (res.statusCode === 401 || (res.statusCode === 403 && this.webhookPaths.includes(path))) this.failures.consume(address).catch(() => undefined);
    });
    return true;
  }

  /** Counts a failed authentication the route itself recognised (a forged web chat token). */
  countFailedAuthentication(req: Request): void {
    this.failures.consume(this.clientAddress(req)).catch(() => undefined);
  }

  /** Counts one API request for a staff member; over the limit, a 429 HttpError with Retry-After. */
  async countApiRequest(staffId: string): Promise<void> {
    try {
      await this.perUser.consume(staffId);
    } catch (limited) {
      const seconds = retryAfterSeconds(msBefore(limited));
      throw new HttpError(429, 'too_many_requests', `too many requests; try again in ${seconds} s`, { 'retry-after': String(seconds) });
    }
  }

  clientAddress(req: Request): string {
    const direct = req.socket?.remoteAddress ?? 'unknown';
    if (this.options.trustProxyHops === 0) return direct;
    const forwarded = String(req.headers['x-forwarded-for'] ?? '').split(',').map((a) => a.trim()).filter(Boolean);
    // Only the entries our own proxies appended can be trusted: count from the right.
    return forwarded[forwarded.length - this.options.trustProxyHops] ?? direct;
  }
}

function msBefore(limited: unknown): number {
  return limited instanceof RateLimiterRes ? limited.msBeforeNext : 1000;
}

const retryAfterSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

function tooMany(res: Response, ms: number, message: string): void {
  const seconds = retryAfterSeconds(ms);
  sendJson(res, 429, { error: 'too_many_requests', message }, { 'retry-after': String(seconds) });
}
