// The service user's chat page: the official Direct Line client (botframework-directlinejs, token
// mode) talking to Lamplight. Plain ES2019, served as is.
//
// Rules this file keeps:
// - Text from anyone is data: it is only ever put on the page with textContent.
// - Nothing of the conversation is stored: sessionStorage holds ids, the token, the resume secret
//   and the watermark; after a reload the server replays the conversation (watermark '').
// - Quick exit works before anything else is set up, and even when the Direct Line client is missing.
(function () {
  'use strict';

  var config = JSON.parse(document.getElementById('lp-config').textContent);
  var STORAGE_KEY = 'lamplight.webchat.' + config.slug;
  var MAX_LENGTH = 4000;
  var SHOW_COUNT_FROM = 3500;
  var TYPING_MS = 5000;
  var SEND_TIMEOUT_MS = 25000;
  var ESCAPE_TWICE_MS = 1000;
  var RECONNECTING = 'Reconnecting… your message is kept in the box.';
  var OFFLINE = 'You’re offline. Reconnecting… your message is kept in the box.';
  var NOT_SENT = 'Not sent. Check your connection and press Send again.';

  function $(id) { return document.getElementById(id); }
  var ui = {
    quickExit: $('lp-quick-exit'),
    list: $('lp-messages'),
    empty: $('lp-empty'),
    typing: $('lp-typing'),
    announcer: $('lp-announcer'),
    connection: $('lp-connection'),
    form: $('lp-composer'),
    text: $('lp-text'),
    send: $('lp-send'),
    count: $('lp-count'),
    sendStatus: $('lp-send-status'),
  };

  // ---- Quick exit -------------------------------------------------------------------------------
  var exiting = false;
  var lastEscape = 0;

  function quickExit(event) {
    if (event) event.preventDefault();
    if (exiting) return;
    exiting = true;
    forgetStoredSession();
    try { sessionStorage.clear(); } catch (ignored) { /* storage may be blocked */ }
    try { disconnect(); } catch (ignored) { /* the page is leaving anyway */ }
    ui.list.replaceChildren();
    ui.text.value = '';
    ui.announcer.replaceChildren();
    ui.typing.textContent = '';
    document.body.hidden = true;
    if (config.embedded) {
      // The widget script on the host page replaces the host page; if it is not listening, try
      // ourselves (allowed with the user's click: sandbox allow-top-navigation-by-user-activation).
      try { window.parent.postMessage({ type: 'lamplight:quick-exit', url: config.exitUrl }, '*'); } catch (ignored) { /* no parent */ }
      try { window.top.location.replace(config.exitUrl); } catch (ignored) { /* cross-origin without activation */ }
      location.replace('about:blank');
    } else {
      location.replace(config.exitUrl);
    }
  }

  ui.quickExit.addEventListener('click', quickExit);
  ui.quickExit.addEventListener('keydown', function (event) {
    if (event.key === ' ') quickExit(event);
  });
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Escape') return;
    var now = Date.now();
    if (now - lastEscape <= ESCAPE_TWICE_MS) quickExit(event);
    else lastEscape = now;
  }, true);

  if (!window.DirectLine || !window.DirectLine.DirectLine) {
    showConnection('Chat is not available right now. Please try again later.');
    return;
  }
  var ConnectionStatus = window.DirectLine.ConnectionStatus;

  // ---- Labels -----------------------------------------------------------------------------------
  function capitalise(text) { return text.charAt(0).toUpperCase() + text.slice(1); }
  var CLINICIAN = capitalise(config.answeredBy.replace(/^(a|an|the|your)\s+(member of (the )?)?/i, ''));
  var TYPING = capitalise(config.answeredBy) + ' is typing…';
  var TIME = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/London' });
  var DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'Europe/London' });

  function lamplightOf(activity) {
    return (activity.channelData && activity.channelData.lamplight) || {};
  }

  function authorLabel(activity) {
    var author = lamplightOf(activity).author;
    if (author === 'clinician') return CLINICIAN;
    if (author === 'auto') return 'Automatic message';
    return config.serviceName + ' team';
  }

  function formatTime(iso) {
    var at = new Date(iso);
    if (isNaN(at.getTime())) return '';
    var sameDay = DAY.format(at) === DAY.format(new Date());
    return sameDay ? TIME.format(at) : DAY.format(at) + ', ' + TIME.format(at);
  }

  function newClientActivityId() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }

  // ---- Session (ids, token, resume and watermark only) --------------------------------------------
  var session;
  /** The watermark stored before a reload: what the server replays up to it was seen before, so it is not announced again. */
  var historyUntil;
  var firstEstablish = true;

  function readStoredSession() {
    try {
      var stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null');
      if (stored && typeof stored.conversationId === 'string' && typeof stored.resume === 'string') return stored;
    } catch (ignored) { /* unreadable: start afresh */ }
    return undefined;
  }

  function saveSession() {
    if (!session || exiting) return;
    try {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify({
        conversationId: session.conversationId, token: session.token, resume: session.resume, userId: session.userId, watermark: session.watermark || '',
      }));
    } catch (ignored) { /* storage blocked: the chat still works until the page closes */ }
  }

  function forgetStoredSession() {
    try { sessionStorage.removeItem(STORAGE_KEY); } catch (ignored) { /* storage blocked */ }
  }

  /** POSTs the token URL: a token for a new conversation ({}), or a fresh one for ours ({conversationId, resume}). undefined = refused (gone). */
  function askForToken(body) {
    return fetch(config.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    }).then(function (response) {
      if (response.status === 403 || response.status === 404) return undefined;
      if (!response.ok) throw new Error('token ' + response.status);
      return response.json().then(function (answer) {
        if (!answer || typeof answer.token !== 'string' || typeof answer.conversationId !== 'string') throw new Error('token answer');
        return answer;
      });
    });
  }

  function establish() {
    var previous = session || readStoredSession();
    var resumed = previous
      ? askForToken({ conversationId: previous.conversationId, resume: previous.resume })
      : Promise.resolve(undefined);
    return resumed.then(function (answer) {
      if (answer || !previous) return answer;
      // The conversation is gone (closed or expired): start a new one.
      forgetStoredSession();
      if (session) {
        noteChatEnded();
        disconnect();
        session = undefined;
      }
      previous = undefined;
      return undefined;
    }).then(function (answer) {
      return answer || askForToken({}).then(function (fresh) {
        if (!fresh) throw new Error('token refused');
        return fresh;
      });
    }).then(function (answer) {
      var same = previous && previous.conversationId === answer.conversationId;
      if (firstEstablish) historyUntil = same ? previous.watermark : undefined;
      firstEstablish = false;
      session = {
        conversationId: answer.conversationId,
        token: answer.token,
        resume: answer.resume || (same ? previous.resume : undefined),
        userId: answer.userId || (same ? previous.userId : undefined),
        watermark: same ? previous.watermark || '' : '',
      };
      saveSession();
      connect();
    });
  }

  // One attempt at a time; backs off to 30 s, and tries at once when the browser is back online.
  var keeping = false;
  var wake;
  function keepConnected() {
    if (keeping || exiting) return;
    keeping = true;
    var attempt = 0;
    var tryOnce = function () {
      if (exiting) { keeping = false; return; }
      establish().then(function () {
        keeping = false;
      }, function () {
        showConnection(navigator.onLine === false ? OFFLINE : RECONNECTING);
        var delay = Math.min(30000, 1000 * Math.pow(2, attempt++));
        var timer = setTimeout(function () { wake = undefined; tryOnce(); }, delay);
        wake = function () { clearTimeout(timer); wake = undefined; tryOnce(); };
      });
    };
    tryOnce();
  }

  // ---- The Direct Line connection ---------------------------------------------------------------
  var directLine;
  var subscriptions = [];
  var everOnline = false;
  var waitingForLine = [];

  function connect() {
    disconnect();
    var line = new window.DirectLine.DirectLine({
      token: session.token,
      conversationId: session.conversationId,
      domain: config.directLineDomain,
      webSocket: true,
      // '' replays the whole conversation: that is how the transcript comes back after a reload,
      // and how nothing is missed after a reconnect (what was shown already is recognised by id).
      watermark: '',
    });
    directLine = line;
    subscriptions = [
      line.connectionStatus$.subscribe(function (status) { if (line === directLine) onConnectionStatus(status); }),
      line.activity$.subscribe(
        function (activity) { if (line === directLine) onActivity(activity, line); },
        function () { if (line === directLine) keepConnected(); }
      ),
    ];
    var waiting = waitingForLine;
    waitingForLine = [];
    waiting.forEach(function (resolve) { resolve(line); });
  }

  function disconnect() {
    var line = directLine;
    directLine = undefined;
    subscriptions.forEach(function (s) { s.unsubscribe(); });
    subscriptions = [];
    if (line) line.end();
  }

  function whenConnected() {
    return nextLine(undefined);
  }

  /** The connection after `old` (a renewed one), or the current one when there is nothing to replace. */
  function nextLine(old) {
    return directLine && directLine !== old ? Promise.resolve(directLine) : new Promise(function (resolve) { waitingForLine.push(resolve); });
  }

  function onConnectionStatus(status) {
    switch (status) {
      case ConnectionStatus.Online:
        everOnline = true;
        if (navigator.onLine !== false) showConnection('');
        break;
      case ConnectionStatus.Connecting:
        if (everOnline) showConnection(RECONNECTING);
        break;
      case ConnectionStatus.ExpiredToken:
      case ConnectionStatus.FailedToConnect:
      case ConnectionStatus.Ended:
        showConnection(RECONNECTING);
        keepConnected();
        break;
      default:
        break;
    }
  }

  window.addEventListener('offline', function () { showConnection(OFFLINE); });
  window.addEventListener('online', function () {
    showConnection(RECONNECTING);
    // The client would wait up to 15 s and more to reopen its socket: start again at once.
    if (wake) wake();
    else keepConnected();
  });

  function showConnection(text) {
    if (ui.connection.textContent !== text) ui.connection.textContent = text;
  }

  // ---- Activities -------------------------------------------------------------------------------
  var shownIds = new Set();
  var bubblesByClientId = new Map();
  var typingTimer;

  function onActivity(activity, line) {
    if (line.watermark && session && session.watermark !== line.watermark) {
      session.watermark = line.watermark;
      saveSession();
    }
    var role = activity.from && activity.from.role;
    if (activity.type === 'typing' && role === 'bot') {
      if (!isHistory(line)) showTyping();
      return;
    }
    if (activity.type !== 'message' || typeof activity.text !== 'string') return;
    if (role === 'user') onEcho(activity);
    else if (role === 'bot') onIncoming(activity, line);
  }

  function isHistory(line) {
    if (historyUntil === undefined || historyUntil === '') return false;
    var current = line.watermark || '';
    var a = Number(current);
    var b = Number(historyUntil);
    var seenBefore = current !== '' && isFinite(a) && isFinite(b) ? a <= b : current === historyUntil;
    if (!seenBefore) historyUntil = undefined;
    return seenBefore;
  }

  function onIncoming(activity, line) {
    if (activity.id && shownIds.has(activity.id)) return;
    if (activity.id) shownIds.add(activity.id);
    hideTyping();
    var label = authorLabel(activity);
    var kind = lamplightOf(activity).author === 'auto' ? 'auto' : 'incoming';
    var item = messageItem(kind, label, activity.text);
    setMeta(item, formatTime(activity.timestamp));
    item.dataset.id = activity.id || '';
    placeBySequence(item, sequenceOf(activity));
    if (!isHistory(line)) announce(label + ': ' + activity.text);
  }

  /** The user's own message, echoed by the server: the pending bubble becomes Sent; never shown twice. */
  function onEcho(activity) {
    var clientId = activity.channelData && activity.channelData.clientActivityID;
    var item = clientId ? bubblesByClientId.get(clientId) : undefined;
    if (!item && activity.id && shownIds.has(activity.id)) return;
    if (activity.id) shownIds.add(activity.id);
    if (!item) {
      item = ownItem(activity.text, clientId);
      placeBySequence(item, sequenceOf(activity));
    } else {
      var sequence = sequenceOf(activity);
      if (sequence !== undefined && item.dataset.seq === undefined) placeBySequence(item, sequence);
    }
    item.dataset.id = activity.id || '';
    item.dataset.at = activity.timestamp || '';
    markSent(item);
  }

  function sequenceOf(activity) {
    var value = activity.channelData && activity.channelData['webchat:sequence-id'];
    return typeof value === 'number' && isFinite(value) ? value : undefined;
  }

  /** Ordered by the server's sequence number when there is one; an unsent message stays last. */
  function placeBySequence(item, sequence) {
    if (sequence !== undefined) item.dataset.seq = String(sequence);
    if (item.parentNode) item.parentNode.removeChild(item);
    var composerWasVisible = isInView(ui.form);
    var before = null;
    if (sequence !== undefined) {
      var children = ui.list.children;
      for (var i = 0; i < children.length; i++) {
        var other = children[i].dataset.seq;
        if (other === undefined || Number(other) > sequence) { before = children[i]; break; }
      }
    }
    ui.list.insertBefore(item, before);
    ui.empty.hidden = true;
    if (composerWasVisible) ui.form.scrollIntoView({ block: 'nearest' });
  }

  function isInView(element) {
    var box = element.getBoundingClientRect();
    return box.top < window.innerHeight && box.bottom > 0;
  }

  function messageItem(kind, label, text) {
    var item = document.createElement('li');
    item.className = 'lp-message lp-message--' + kind;
    var bubble = document.createElement('div');
    bubble.className = 'lp-message__bubble';
    var author = document.createElement('p');
    author.className = 'lp-message__author' + (kind === 'own' ? ' nhsuk-u-visually-hidden' : '');
    author.textContent = label + ':';
    var body = document.createElement('p');
    body.className = 'lp-message__text';
    body.textContent = text;
    bubble.append(author, body);
    var meta = document.createElement('p');
    meta.className = 'lp-message__meta';
    item.append(bubble, meta);
    return item;
  }

  function ownItem(text, clientId) {
    var item = messageItem('own', 'You', text);
    if (clientId) {
      item.dataset.clientId = clientId;
      bubblesByClientId.set(clientId, item);
    }
    return item;
  }

  function setMeta(item, text) {
    item.querySelector('.lp-message__meta').textContent = text;
  }

  function setOwnState(item, state) {
    item.classList.toggle('lp-message--failed', state === 'failed');
    item.dataset.state = state;
    var time = item.dataset.at ? formatTime(item.dataset.at) : '';
    var words = state === 'sending' ? 'Sending…' : state === 'failed' ? 'Not sent – try again' : 'Sent';
    setMeta(item, time && state === 'sent' ? time + ' · ' + words : words);
  }

  function markSent(item) {
    setOwnState(item, 'sent');
    var clientId = item.dataset.clientId;
    // The box still holds this message (its answer was lost, or it came late): it is sent, clear it.
    if (retry && retry.clientActivityID === clientId) {
      if (!sending && ui.text.value === retry.text) {
        ui.text.value = '';
        updateCount();
        showSendStatus('');
      }
      retry = undefined;
    }
  }

  function announce(text) {
    var line = document.createElement('p');
    line.textContent = text;
    ui.announcer.replaceChildren(line);
  }

  function showTyping() {
    ui.typing.textContent = TYPING;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, TYPING_MS);
  }

  function hideTyping() {
    clearTimeout(typingTimer);
    if (ui.typing.textContent) ui.typing.textContent = '';
  }

  /** A new conversation starts after this: its ids and sequence numbers start again, below what is shown. */
  function noteChatEnded() {
    Array.prototype.forEach.call(ui.list.children, function (child) { child.dataset.seq = '-Infinity'; });
    shownIds.clear();
    bubblesByClientId.clear();
    var item = document.createElement('li');
    item.dataset.seq = '-Infinity';
    item.className = 'lp-message lp-message--note';
    var text = document.createElement('p');
    text.className = 'lp-message__meta';
    text.textContent = 'This chat has ended. If you send a message, a new chat starts.';
    item.append(text);
    ui.list.append(item);
  }

  // ---- Sending ----------------------------------------------------------------------------------
  /** The message being sent, and the one that failed last: a retry of the same text reuses its clientActivityID, so the server keeps one copy. */
  var sending;
  var retry;

  function send() {
    if (sending || exiting) return;
    var text = ui.text.value;
    if (!text.trim()) {
      showSendStatus('Write a message first.');
      ui.text.focus();
      return;
    }
    if (text.length > MAX_LENGTH) {
      showSendStatus('Your message is too long. Make it shorter, or send it in parts.');
      ui.text.focus();
      return;
    }
    var clientActivityID;
    if (retry && retry.text === text) {
      clientActivityID = retry.clientActivityID;
    } else {
      if (retry) dropUnsent(retry.clientActivityID);
      clientActivityID = newClientActivityId();
    }
    var item = bubblesByClientId.get(clientActivityID);
    if (!item) {
      item = ownItem(text, clientActivityID);
      placeBySequence(item, undefined);
    }
    if (item.dataset.state === 'sent') return afterSent(text);
    setOwnState(item, 'sending');
    sending = { text: text, clientActivityID: clientActivityID };
    ui.text.readOnly = true;
    ui.send.setAttribute('aria-disabled', 'true');
    showSendStatus('');

    var activity = {
      type: 'message',
      text: text,
      from: { id: session && session.userId, role: 'user' },
      locale: 'en-GB',
      channelData: { clientActivityID: clientActivityID },
    };
    post(activity).then(function (outcome) {
      sending = undefined;
      ui.text.readOnly = false;
      ui.send.removeAttribute('aria-disabled');
      if (outcome.id && outcome.id !== 'retry') {
        if (item.dataset.state !== 'sent') markSent(item);
        afterSent(text);
      } else if (item.dataset.state === 'sent') {
        // The echo came back although the answer did not: it is there.
        afterSent(text);
      } else {
        retry = { text: text, clientActivityID: clientActivityID };
        setOwnState(item, 'failed');
        ui.text.value = text;
        showSendStatus(NOT_SENT);
      }
    });
  }

  function afterSent(text) {
    if (ui.text.value === text) ui.text.value = '';
    retry = undefined;
    updateCount();
    showSendStatus('');
  }

  /** The box now holds another message: the unsent one it held goes (its echo would bring it back if it did arrive). */
  function dropUnsent(clientId) {
    var item = bubblesByClientId.get(clientId);
    if (item && item.dataset.state === 'failed') {
      item.remove();
      bubblesByClientId.delete(clientId);
      ui.empty.hidden = ui.list.children.length > 0;
    }
  }

  /**
   * Resolves {id} or {failed}; never rejects. An answer after the timeout still counts (see late).
   * A token that expired while the page slept is renewed (with the resume secret) and the post made
   * once more, with the same clientActivityID: the server keeps one copy.
   */
  function post(activity) {
    return new Promise(function (resolve) {
      var settled = false;
      var finish = function (outcome) {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      var timer = setTimeout(function () { finish({ failed: 'timeout' }); }, SEND_TIMEOUT_MS);
      if (navigator.onLine === false) return finish({ failed: 'offline' });
      var attempt = function (line, mayRenew) {
        line.postActivity(activity).subscribe(
          function (id) {
            if (id === 'retry' && mayRenew && line.connectionStatus$.getValue() === ConnectionStatus.ExpiredToken) {
              keepConnected();
              nextLine(line).then(function (renewed) { if (!settled) attempt(renewed, false); });
            } else if (!settled) {
              finish({ id: id });
            } else if (id && id !== 'retry') {
              late(activity.channelData.clientActivityID);
            }
          },
          function () { finish({ failed: 'error' }); }
        );
      };
      whenConnected().then(function (line) { attempt(line, true); });
    });
  }

  function late(clientId) {
    var item = bubblesByClientId.get(clientId);
    if (item && item.dataset.state !== 'sent') markSent(item);
  }

  function showSendStatus(text) {
    if (ui.sendStatus.textContent !== text) ui.sendStatus.textContent = text;
  }

  function updateCount() {
    var length = ui.text.value.length;
    ui.count.classList.toggle('lp-composer__count--over', length > MAX_LENGTH);
    if (length < SHOW_COUNT_FROM) {
      ui.count.textContent = '';
      return;
    }
    var left = MAX_LENGTH - length;
    var plural = function (n) { return n === 1 ? ' character' : ' characters'; };
    ui.count.textContent = left >= 0 ? 'You have ' + left + plural(left) + ' left' : 'You have ' + -left + plural(-left) + ' too many';
  }

  ui.form.addEventListener('submit', function (event) {
    event.preventDefault();
    send();
  });
  ui.text.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  ui.text.addEventListener('input', function () {
    updateCount();
    if (ui.sendStatus.textContent && ui.text.value.trim() && !retry) showSendStatus('');
  });

  keepConnected();
})();
