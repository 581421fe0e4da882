import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { Lamplight, Overrides, startLamplight } from '../../bot/app';
import { DEMO_CONFIG_PATH } from '../../bot/config/services';
import type { Settings } from '../../bot/config/settings';
import { Keyring } from '../../db/crypto';
import { scratchDatabase, ScratchDatabase } from './database';
import { IN_HOURS } from './harness';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';

/** Debian's Chromium (package `chromium`); Playwright never downloads a browser here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumAvailable = () => existsSync(CHROMIUM);
export const SCREENSHOTS = join(__dirname, '..', '..', '..', 'test-results');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // The machine has no outside network: keep Chromium from trying to reach Google's services.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: string[]; html: string }[] }

/**
 * Fluent UI's focus manager (tabster) places aria-hidden, focusable "dummy" elements that bounce
 * focus to the right place: a documented Fluent v9 known issue that Microsoft's Accessibility
 * Insights suppresses the same narrow way (microsoft/accessibility-insights-web#7605). Only those
 * nodes, and only for that rule, are set aside; everything else counts.
 */
const isTabsterDummy = (violation: AxeViolation, node: { html: string }) => violation.id === 'aria-hidden-focus' && /data-tabster-dummy/.test(node.html);

/** Runs axe-core in the page; returns the serious and critical violations. */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  // Colours are judged as they settle: a Fluent button or tab mid-transition after a click (a blend
  // such as #cecece on #c9cae5) is not what anyone reads. Finite transitions and animations are
  // waited for (a spinner's endless one is not), at most 2 s.
  await page.evaluate(() => Promise.race([
    Promise.all(document.getAnimations().filter((a) => Number.isFinite(Number(a.effect?.getComputedTiming().endTime))).map((a) => a.finished.catch(() => undefined))),
    new Promise((resolve) => setTimeout(resolve, 2000)),
  ]));
  const source = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const results = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as { violations: AxeViolation[] };
  // Behind an open modal dialog the page is aria-hidden *and* inert (teams-app ConversationView):
  // an inert element cannot take focus or a click, which is what the rule guards against, but
  // axe-core does not yet read `inert` for it. Only aria-hidden-focus nodes that really sit inside
  // an inert element are set aside, checked in the page.
  const insideInert = async (node: { target: string[] }) => node.target.length === 1
    && page.evaluate((selector) => document.querySelector(selector)?.closest('[inert]') != null, node.target[0]);
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const out: AxeViolation[] = [];
  for (const v of serious) {
    const nodes: AxeViolation['nodes'] = [];
    for (const n of v.nodes) {
      if (isTabsterDummy(v, n)) continue;
      if (v.id === 'aria-hidden-focus' && (await insideInert(n))) continue;
      nodes.push(n);
    }
    if (nodes.length) out.push({ ...v, nodes });
  }
  return out;
}

/**
 * The embedded default (simulator, dev sign-in, demo staff) on a scratch database, with Chromium.
 * The clock starts in hours on a known Tuesday and moves, so messages keep their order.
 */
export async function startBrowserSession(context: Mocha.Context, signIn: Pick<Settings, 'auth' | 'webSignIn'> = { auth: undefined }, overrides: Overrides = {}): Promise<{ app: Lamplight; browser: Browser; keyring: Keyring; close: () => Promise<void> }> {
  if (!chromiumAvailable()) {
    if (process.env.LAMPLIGHT_REQUIRE_BROWSER === '1') throw new Error(`Chromium is required (LAMPLIGHT_REQUIRE_BROWSER=1) but ${CHROMIUM} is missing`);
    context.skip();
  }
  const database: ScratchDatabase = await scratchDatabase();
  const anchor = Date.parse(IN_HOURS);
  const started = Date.now();
  const keyring = new Keyring(randomBytes(32));
  const app = await startLamplight({
    port: 0, host: '127.0.0.1', publicUrl: undefined, databaseUrl: database.url, configPath: DEMO_CONFIG_PATH,
    keyring, twilio: undefined, ...signIn, appInsightsConnectionString: undefined,
    demo: true, production: false, trustProxyHops: 0, logLevel: 'silent', seedDemoData: true,
  }, {
    logger: pino({ level: 'silent' }), now: () => new Date(anchor + (Date.now() - started)),
    // Every page, sign-in and simulated phone here comes from 127.0.0.1, one address standing for
    // many people: a file of browser tests makes more unauthenticated calls in a minute than the
    // default allows one address (the limits themselves are tested in test/integration/hardening).
    rateLimits: { unauthenticatedPerMinute: 100_000 },
    ...overrides,
  });
  const browser = await launchBrowser();
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    app,
    browser,
    keyring,
    close: async () => {
      await browser.close();
      await app.close();
      await database.drop();
    },
  };
}

/** On the simulator's phone page: choose the number (and service), type a text and send it, as a service user would. */
export async function textFromSimulatorPhone(phone: Page, message: { number: string; text: string; service?: string; channel?: 'sms' | 'whatsapp' }): Promise<void> {
  if (message.service) await phone.selectOption('#service', message.service);
  if (message.channel) await phone.selectOption('#channel', message.channel);
  await phone.fill('#number', message.number);
  await phone.dispatchEvent('#number', 'change');
  await phone.fill('#text', message.text);
  await phone.click('button[type=submit]');
}
