// The simulated phone. Message text is always set with textContent: it is data, never markup.
(() => {
  const $ = (id) => document.getElementById(id);
  const serviceSelect = $('service');
  const channelSelect = $('channel');
  const CHANNEL_NAMES = new Map([['sms', 'SMS'], ['whatsapp', 'WhatsApp']]);
  const numberInput = $('number');
  const thread = $('thread');
  const status = $('status');
  let shown = -1;

  const stored = localStorage.getItem('lamplight-sim-number');
  numberInput.value = stored || `+447700900${String(Math.floor(Math.random() * 900) + 100)}`;
  numberInput.addEventListener('change', () => {
    localStorage.setItem('lamplight-sim-number', numberInput.value);
    shown = -1;
    refresh();
  });

  let services = [];
  async function loadServices() {
    services = await (await fetch('/simulator/api/services')).json();
    showWebchatLinks(services.filter((s) => s.webchat));
    services = services.filter((s) => s.sms || s.whatsapp);
    for (const s of services) {
      const option = document.createElement('option');
      option.value = s.slug;
      option.textContent = s.sms ? `${s.name} (${s.sms})` : s.name;
      serviceSelect.append(option);
    }
    offerChannels();
  }

  function showWebchatLinks(withWebchat) {
    $('webchat-links').replaceChildren(...withWebchat.map((s) => {
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = `/chat/${encodeURIComponent(s.webchat)}`;
      link.textContent = `${s.name} web chat`;
      const path = document.createElement('span');
      path.className = 'hint';
      path.textContent = ` /chat/${s.webchat}`;
      item.append(link, path);
      return item;
    }));
  }

  // Only the channels the chosen service has (WhatsApp runs in the demo only when its stand-in does).
  function offerChannels() {
    const service = services.find((s) => s.slug === serviceSelect.value);
    for (const option of channelSelect.options) option.disabled = !service || !service[option.value];
    if (channelSelect.selectedOptions[0]?.disabled) channelSelect.value = [...channelSelect.options].find((o) => !o.disabled)?.value ?? 'sms';
  }
  serviceSelect.addEventListener('change', offerChannels);

  function render(messages) {
    if (messages.length === shown) return;
    shown = messages.length;
    thread.replaceChildren(...messages.map((m) => {
      const item = document.createElement('li');
      item.className = `bubble ${m.direction}`;
      item.textContent = m.text;
      const meta = document.createElement('span');
      meta.className = 'meta';
      const time = new Date(m.at).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
      const via = CHANNEL_NAMES.get(m.channel) ?? 'SMS';
      meta.textContent = m.direction === 'sent'
        ? `${time} · ${via} to ${m.service}${m.status && m.status !== 200 ? ` · webhook answered ${m.status}` : ''}`
        : `${time} · ${via} from ${m.service}`;
      item.append(meta);
      return item;
    }));
    thread.scrollTop = thread.scrollHeight;
  }

  async function refresh() {
    try {
      const response = await fetch(`/simulator/api/phones/${encodeURIComponent(numberInput.value)}/messages`);
      if (response.ok) render((await response.json()).messages);
    } catch { /* the server restarted; the next poll catches up */ }
  }

  $('compose').addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = $('text').value;
    if (!text.trim()) return;
    status.textContent = '';
    const response = await fetch(`/simulator/api/phones/${encodeURIComponent(numberInput.value)}/${channelSelect.value === 'whatsapp' ? 'whatsapp' : 'sms'}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: serviceSelect.value, text }),
    });
    const result = await response.json().catch(() => ({}));
    if (!response.ok) status.textContent = result.message || `Could not send (${response.status})`;
    else if (result.webhookStatus !== 200) status.textContent = `Lamplight answered the webhook with ${result.webhookStatus}`;
    else $('text').value = '';
    refresh();
  });

  $('text').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      $('compose').requestSubmit();
    }
  });

  loadServices().then(refresh);
  setInterval(refresh, 1000);
})();
