// Lamplight web chat widget. A service pastes one line into its own site:
//   <script src="https://<lamplight host>/chat/assets/widget.js" data-service="school-nursing" async></script>
// (optional data-label="…" names the button). It adds a chat button; the chat itself runs in a frame
// from Lamplight, so the host page never sees a message. Quick exit inside the frame replaces the
// host page too.
//
// Host pages may have a strict CSP: no <style> element and no style attribute is added; looks are
// set through the CSSOM (element.style), which CSP allows. The one global is window.LamplightChat.
(function () {
  'use strict';

  var script = document.currentScript || document.querySelector('script[src*="/chat/assets/widget.js"][data-service]');
  if (!script) return;
  var slug = script.getAttribute('data-service') || '';
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slug)) {
    if (window.console) console.warn('Lamplight chat: data-service must be the service\'s web chat slug, e.g. "school-nursing"');
    return;
  }
  var registry = (window.LamplightChat = window.LamplightChat || { widgets: {} });
  if (registry.widgets[slug]) return;

  var ORIGIN = new URL(script.src, location.href).origin;
  var PHONE = window.matchMedia('(max-width: 480px)');
  var serviceName = slug.split('-').map(function (w) { return w.charAt(0).toUpperCase() + w.slice(1); }).join(' ');
  var label = script.getAttribute('data-label') || 'Chat to the ' + serviceName + ' team';
  var uid = 'lamplight-chat-' + slug;
  var FONT = 'Arial, "Helvetica Neue", Helvetica, sans-serif';
  var NHS_BLUE = '#005eb8';
  var DARK_BLUE = '#003087';
  var FOCUS = '#ffeb3b';
  var TEXT = '#212b32';

  function el(tag, styles, attributes) {
    var node = document.createElement(tag);
    Object.keys(styles || {}).forEach(function (k) { node.style[k] = styles[k]; });
    Object.keys(attributes || {}).forEach(function (k) { node.setAttribute(k, attributes[k]); });
    return node;
  }

  /** NHS.UK's focus style (yellow, with a dark bar below), shown for keyboard focus only. */
  function focusStyle(button, normal) {
    var apply = function (styles) { Object.keys(styles).forEach(function (k) { button.style[k] = styles[k]; }); };
    button.addEventListener('focus', function () {
      var keyboard = true;
      try { keyboard = button.matches(':focus-visible'); } catch (ignored) { /* older browsers: always show */ }
      if (keyboard) apply({ background: FOCUS, color: TEXT, boxShadow: '0 4px 0 ' + TEXT, outline: '4px solid transparent' });
    });
    button.addEventListener('blur', function () { apply(normal); });
  }

  var launcherLook = { background: NHS_BLUE, color: '#ffffff', boxShadow: '0 4px 0 ' + DARK_BLUE, outline: 'none' };
  var launcher = el('button', Object.assign({
    position: 'fixed', right: '16px', bottom: '20px', zIndex: '2147483000', display: 'inline-flex', alignItems: 'center', gap: '8px',
    minHeight: '48px', margin: '0', padding: '12px 16px', border: '2px solid transparent', borderRadius: '4px',
    font: '600 16px/1.25 ' + FONT, cursor: 'pointer', textAlign: 'left', maxWidth: 'calc(100vw - 32px)',
  }, launcherLook), { type: 'button', id: uid + '-button', 'aria-expanded': 'false', 'aria-controls': uid + '-panel' });
  launcher.appendChild(chatIcon());
  var launcherText = el('span');
  launcherText.textContent = label;
  launcher.appendChild(launcherText);
  focusStyle(launcher, launcherLook);

  var panel = el('div', {
    position: 'fixed', zIndex: '2147483001', display: 'none', flexDirection: 'column', boxSizing: 'border-box',
    background: '#ffffff', boxShadow: '0 4px 16px rgba(33, 43, 50, 0.25)', overflow: 'hidden',
  }, { id: uid + '-panel', role: 'region', 'aria-label': serviceName + ' chat' });

  var bar = el('div', { display: 'flex', alignItems: 'center', justifyContent: 'space-between', gap: '8px', padding: '6px 8px 6px 12px', background: NHS_BLUE, color: '#ffffff', flex: '0 0 auto' });
  var title = el('p', { margin: '0', font: '600 16px/1.25 ' + FONT, color: '#ffffff' });
  title.textContent = serviceName + ' chat';
  var closeLook = { background: '#ffffff', color: NHS_BLUE, boxShadow: 'none', outline: 'none' };
  var close = el('button', Object.assign({
    minHeight: '36px', minWidth: '44px', margin: '0', padding: '6px 12px', border: '2px solid transparent', borderRadius: '4px',
    font: '600 16px/1.25 ' + FONT, cursor: 'pointer',
  }, closeLook), { type: 'button', 'aria-label': 'Close chat' });
  close.textContent = 'Close';
  focusStyle(close, closeLook);
  bar.appendChild(title);
  bar.appendChild(close);
  panel.appendChild(bar);

  var frame;
  function ensureFrame() {
    if (frame) return frame;
    frame = el('iframe', { display: 'block', flex: '1 1 auto', width: '100%', minHeight: '0', border: '0', background: '#ffffff' }, {
      src: ORIGIN + '/chat/' + encodeURIComponent(slug) + '?embed=1',
      title: 'Chat with the ' + serviceName + ' team',
      sandbox: 'allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation',
      referrerpolicy: 'no-referrer',
    });
    panel.appendChild(frame);
    return frame;
  }

  /** Full screen on a phone; a 380 × 600 panel above the button on anything wider. */
  function place() {
    var phone = PHONE.matches;
    Object.assign(panel.style, phone
      ? { top: '0', left: '0', right: '0', bottom: '0', width: '100%', height: '100%', maxHeight: 'none', border: '0', borderRadius: '0' }
      : { top: 'auto', left: 'auto', right: '16px', bottom: '84px', width: '380px', height: '600px', maxHeight: 'calc(100vh - 100px)', border: '1px solid #aeb7bd', borderRadius: '8px' });
  }

  var open = false;
  function setOpen(value) {
    open = value;
    if (open) {
      ensureFrame();
      place();
      panel.style.display = 'flex';
      launcher.setAttribute('aria-expanded', 'true');
      if (PHONE.matches) launcher.style.display = 'none';
      frame.focus();
    } else {
      panel.style.display = 'none';
      launcher.style.display = 'inline-flex';
      launcher.setAttribute('aria-expanded', 'false');
      launcher.focus();
    }
  }

  launcher.addEventListener('click', function () { setOpen(!open); });
  close.addEventListener('click', function () { setOpen(false); });
  var onPhoneChange = function () {
    if (!open) return;
    place();
    launcher.style.display = PHONE.matches ? 'none' : 'inline-flex';
  };
  if (PHONE.addEventListener) PHONE.addEventListener('change', onPhoneChange);
  else if (PHONE.addListener) PHONE.addListener(onPhoneChange);

  /** The frame's Quick exit: nothing of the chat stays on the host page, which is replaced (no new history entry). */
  function quickExit(url) {
    var target;
    try { target = new URL(url); } catch (ignored) { return; }
    if (target.protocol !== 'https:' && target.protocol !== 'http:') return;
    if (panel.parentNode) panel.parentNode.removeChild(panel);
    if (launcher.parentNode) launcher.parentNode.removeChild(launcher);
    frame = undefined;
    location.replace(target.href);
  }

  window.addEventListener('message', function (event) {
    if (event.origin !== ORIGIN || !frame || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (data && data.type === 'lamplight:quick-exit' && typeof data.url === 'string') quickExit(data.url);
  });

  function chatIcon() {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', '24');
    svg.setAttribute('height', '24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    var path = document.createElementNS(ns, 'path');
    path.setAttribute('fill', 'currentColor');
    path.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2Zm3 6a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3Zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3Zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3Z');
    svg.appendChild(path);
    return svg;
  }

  function mount() {
    document.body.appendChild(launcher);
    document.body.appendChild(panel);
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);

  registry.widgets[slug] = {
    open: function () { setOpen(true); },
    close: function () { setOpen(false); },
  };
})();
