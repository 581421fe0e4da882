import type { ChatPageView } from './view';

/**
 * The service user's chat page, `/chat/<slug>`: one HTML document, no inline script or style (the
 * page's CSP allows only 'self'), every view string escaped. The page's client (public/chat.js)
 * reads its settings from the JSON block, not from globals.
 *
 * Tab order is part of the design: Quick exit first, then the help links, then the message box and
 * Send. So the NHS logo is not a link and there is no skip link in front of Quick exit; the
 * landmarks and headings are the way past the blocks.
 */
export function renderChatPage(view: ChatPageView): string {
  const asset = (name: string) => `${view.assetBase.replace(/\/$/, '')}/${name}`;
  const answeredBy = capitalise(view.answeredBy);
  const exitUrl = webAddressOnly(view.exitUrl);
  const config = {
    slug: view.slug,
    serviceName: view.serviceName,
    answeredBy: view.answeredBy,
    tokenUrl: view.tokenUrl,
    directLineDomain: view.directLineDomain,
    exitUrl,
    embedded: view.embedded,
  };

  return `<!DOCTYPE html>
<html lang="en-GB" class="${view.embedded ? 'lp-embedded' : ''}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
  <meta name="referrer" content="no-referrer">
  <meta name="robots" content="noindex, nofollow">
  <title>${escapeHtml(view.serviceName)} chat</title>
  <link rel="icon" href="${escapeHtml(asset('favicon.svg'))}" type="image/svg+xml">
  <link rel="stylesheet" href="${escapeHtml(asset('nhsuk.css'))}">
  <link rel="stylesheet" href="${escapeHtml(asset('chat.css'))}">
  <script type="application/json" id="lp-config">${jsonForScript(config)}</script>
  <script src="${escapeHtml(asset('directline.js'))}" defer></script>
  <script src="${escapeHtml(asset('chat.js'))}" defer></script>
</head>
<body class="lp-body">
  <div class="lp-exit-strip"></div>
  <a id="lp-quick-exit" class="nhsuk-button nhsuk-button--warning lp-quick-exit" role="button" href="${escapeHtml(exitUrl)}" rel="noreferrer" draggable="false" aria-describedby="lp-quick-exit-hint">Quick exit</a>
${view.embedded ? '' : header(view)}
  <div class="nhsuk-width-container lp-container">
    <main class="nhsuk-main-wrapper lp-main" id="maincontent">
      <div class="lp-intro">
        <h1 class="lp-title">Chat with the ${escapeHtml(view.serviceName)} team</h1>
        <p class="lp-status lp-status--${view.openNow ? 'open' : 'closed'}"><strong>${escapeHtml(view.statusLine)}</strong></p>
        <p class="lp-promise">${escapeHtml(answeredBy)} will reply ${escapeHtml(view.replyPromise)}.</p>
        <p class="lp-exit-hint" id="lp-quick-exit-hint">To leave this page fast, press Quick exit<span class="lp-keyboard-only"> or the Esc key twice</span>.</p>
      </div>

${helpPanel()}

      <section class="lp-chat" aria-labelledby="lp-chat-heading">
        <h2 class="nhsuk-u-visually-hidden" id="lp-chat-heading">Messages</h2>
        <div class="nhsuk-inset-text lp-confidentiality">
          <span class="nhsuk-u-visually-hidden">Information: </span>
          <p>${escapeHtml(view.confidentiality)}</p>
        </div>
        <div class="lp-transcript" id="lp-transcript" role="log" aria-live="off" aria-labelledby="lp-chat-heading">
          <p class="lp-transcript__empty" id="lp-empty">No messages yet. Write your message in the box below.</p>
          <ol class="lp-transcript__list" id="lp-messages"></ol>
        </div>
        <p class="lp-typing" id="lp-typing" aria-live="polite"></p>
        <div class="nhsuk-u-visually-hidden" id="lp-announcer" aria-live="polite"></div>
        <p class="lp-connection" id="lp-connection" role="status"></p>
        <form class="lp-composer" id="lp-composer" novalidate>
          <div class="nhsuk-form-group lp-composer__group">
            <label class="nhsuk-label lp-composer__label" for="lp-text">Your message</label>
            <div class="nhsuk-hint lp-composer__hint" id="lp-hint">Keep this page open to see replies: they show here only while it stays open in this tab.${view.textNumber
    ? ` If you can't keep it open, you can text us on <a href="sms:${escapeHtml(view.textNumber.e164)}">${escapeHtml(view.textNumber.display)}</a> instead.`
    : ''}</div>
            <textarea class="nhsuk-textarea lp-composer__text" id="lp-text" name="text" rows="3" autocomplete="off" spellcheck="true" aria-describedby="lp-hint lp-count"></textarea>
            <p class="lp-composer__count" id="lp-count"></p>
          </div>
          <button class="nhsuk-button lp-composer__send" id="lp-send" type="submit">Send</button>
          <p class="lp-composer__status" id="lp-send-status" role="status"></p>
        </form>
      </section>

      <section class="lp-about" aria-labelledby="lp-hours-heading">
        <h2 class="nhsuk-heading-s" id="lp-hours-heading">Opening times</h2>
        <dl class="lp-hours">
${view.hours.map((h) => `          <div class="lp-hours__row"><dt>${escapeHtml(h.day)}</dt><dd>${escapeHtml(h.times)}</dd></div>`).join('\n')}
        </dl>
        <h2 class="nhsuk-heading-s">About this chat</h2>
        <p>${escapeHtml(answeredBy)} from ${escapeHtml(view.organisation)} reads your messages.</p>
        <p>Keep this page open to see replies. If you close it or press Quick exit, the chat is cleared from this device.</p>
      </section>
    </main>
  </div>
</body>
</html>
`;
}

function header(view: ChatPageView): string {
  return `  <header class="nhsuk-header nhsuk-header--organisation lp-header" role="banner">
    <div class="nhsuk-header__container nhsuk-width-container lp-header__container">
      <div class="nhsuk-header__service">
        <span class="nhsuk-header__service-logo lp-header__logo">
          ${NHS_LOGO}
          <span class="nhsuk-header__organisation-name">${escapeHtml(view.organisation)}</span>
        </span>
      </div>
    </div>
  </header>`;
}

/**
 * Where to get help now: the same four services the safety auto-reply names for young people
 * (demo config `autoReplies.safety`), as links a phone can dial or text.
 */
function helpPanel(): string {
  return `      <section class="lp-help" aria-labelledby="lp-help-heading">
        <h2 class="lp-help__heading" id="lp-help-heading">Need help now?</h2>
        <ul class="lp-help__list">
          <li><a href="tel:999">Call 999</a> if you're in danger or it's an emergency</li>
          <li><a href="tel:111">Call NHS 111</a> for urgent help. Choose option 2 for mental health</li>
          <li><a href="sms:85258?&amp;body=SHOUT">Text SHOUT to 85258</a> to talk by text. It's free, any time</li>
          <li><a href="tel:08001111">Call Childline on 0800 1111</a> if you're under 19. It's free</li>
        </ul>
      </section>`;
}

/** The NHS identifier, as NHS.UK frontend draws it (components/header). */
const NHS_LOGO = '<svg class="nhsuk-header__logo" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 80" height="40" width="100" focusable="false" role="img" aria-label="NHS"><title>NHS</title><path fill="currentcolor" d="M200 0v80H0V0h200Zm-27.5 5.5c-14.5 0-29 5-29 22 0 10.2 7.7 13.5 14.7 16.3l.7.3c5.4 2 10.1 3.9 10.1 8.4 0 6.5-8.5 7.5-14 7.5s-12.5-1.5-16-3.5L135 70c5.5 2 13.5 3.5 20 3.5 15.5 0 32-4.5 32-22.5 0-19.5-25.5-16.5-25.5-25.5 0-5.5 5.5-6.5 12.5-6.5a35 35 0 0 1 14.5 3l4-13.5c-4.5-2-12-3-20-3Zm-131 2h-22l-14 65H22l9-45h.5l13.5 45h21.5l14-65H64l-9 45h-.5l-13-45Zm63 0h-18l-13 65h17l6-28H117l-5.5 28H129l13.5-65H125L119.5 32h-20l5-24.5Z"/></svg>';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** JSON inside `<script type="application/json">`: nothing in it can close the element or start a comment. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Quick exit goes to a web page: a javascript: or data: address in the config never becomes a link. */
function webAddressOnly(url: string): string {
  return /^https?:\/\//i.test(url) ? url : 'about:blank';
}

/** "a school nurse" -> "A school nurse". */
function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
