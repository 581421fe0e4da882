import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** The page's own browser files, served as they are (compiled code runs from dist/adapters/webchat/page). */
const PUBLIC = resolve(__dirname, '..', '..', '..', '..', 'adapters', 'webchat', 'page', 'public');
const NHSUK = resolve(dirname(require.resolve('nhsuk-frontend/package.json')), 'dist', 'nhsuk');

export interface ChatAsset {
  contentType: string;
  body: Buffer;
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const SVG = 'image/svg+xml';

/**
 * The files served under the view's assetBase (`/chat/assets/<name>`): the page's client and
 * styles, the embeddable widget, NHS.UK frontend's CSS and the official Direct Line client.
 * Nothing on the page comes from another origin.
 */
export function chatAssets(): Map<string, ChatAsset> {
  const assets = new Map<string, ChatAsset>();
  const add = (name: string, contentType: string, body: Buffer) => assets.set(name, { contentType, body });
  add('chat.js', JS, readFileSync(resolve(PUBLIC, 'chat.js')));
  add('chat.css', CSS, readFileSync(resolve(PUBLIC, 'chat.css')));
  add('widget.js', JS, readFileSync(resolve(PUBLIC, 'widget.js')));
  add('directline.js', JS, readFileSync(require.resolve('botframework-directlinejs/dist/directline.js')));
  add('nhsuk.css', CSS, Buffer.from(selfContainedNhsukCss(readFileSync(resolve(NHSUK, 'nhsuk-frontend.min.css'), 'utf8'))));
  add('favicon.svg', SVG, readFileSync(resolve(NHSUK, 'assets', 'images', 'favicon.svg')));
  for (const icon of NHSUK_ICONS) add(icon, SVG, readFileSync(resolve(NHSUK, 'assets', 'images', icon)));
  return assets;
}

/** The icons NHS.UK frontend's CSS points at (sortable tables, close buttons), served beside it. */
const NHSUK_ICONS = ['nhsuk-icon-arrow-down.svg', 'nhsuk-icon-arrow-up-down.svg', 'nhsuk-icon-arrow-up.svg', 'nhsuk-icon-cross.svg'];

/**
 * NHS.UK frontend loads Frutiger from https://assets.nhs.uk: no third-party request is allowed on a
 * young person's chat page (and CSP would refuse it), so its @font-face rules go and the stack's
 * own fallback (Arial) shows. Its icon URLs point at /assets/images/: they become siblings here.
 */
export function selfContainedNhsukCss(css: string): string {
  const stripped = css.replace(/@font-face\s*\{[^}]*\}/g, '').replace(/url\(\s*(['"]?)\/assets\/images\//g, 'url($1');
  const outside = stripped.match(/url\(\s*['"]?(https?:)?\/\/[^)]*\)/g);
  if (outside) throw new Error(`NHS.UK frontend's CSS still points outside Lamplight: ${outside.join(', ')}`);
  return stripped;
}
