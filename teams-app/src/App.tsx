import {
  Button, FluentProvider, Tab, TabList, makeStyles, MessageBar, MessageBarBody, Select, Spinner, teamsDarkTheme, teamsHighContrastTheme, teamsLightTheme, Text, tokens,
} from '@fluentui/react-components';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { conversationLinked, showConversationInAddress } from './deep-link';
import { Api, StreamEnd } from './api';
import { ConversationView } from './ConversationView';
import { Inbox } from './Inbox';
import { Escalations } from './Escalations';
import { Settings } from './Settings';
import { Reports } from './Reports';
import { Admin } from './admin/Admin';
import { beginSignIn, completeSignIn, hasSession, isReturnFromProvider, OidcConfig, SignInError, signOut, tokenSource } from './oidc';
import { detectHost, Host, Theme } from './teams';
import type { Counts, Me, SearchParams, SearchResult, Services, Summary } from './types';

const THEMES = { default: teamsLightTheme, dark: teamsDarkTheme, contrast: teamsHighContrastTheme };
const TOKEN_KEY = 'lamplight-dev-token';

const useStyles = makeStyles({
  page: { minHeight: '100vh', backgroundColor: tokens.colorNeutralBackground2, color: tokens.colorNeutralForeground1, padding: '12px', boxSizing: 'border-box' },
  header: { display: 'flex', alignItems: 'center', gap: '12px', marginBottom: '12px', flexWrap: 'wrap' },
  grid: {
    display: 'grid', gridTemplateColumns: 'minmax(260px, 360px) minmax(0, 1fr)', gap: '16px', alignItems: 'start',
    // A phone, or Teams' narrow side panel: one column, the list or the open conversation.
    '@media (max-width: 699px)': { gridTemplateColumns: 'minmax(0, 1fr)' },
  },
  hidden: { display: 'none' },
  screens: { marginBottom: '8px', flexWrap: 'wrap' },
  panel: { backgroundColor: tokens.colorNeutralBackground1, borderRadius: tokens.borderRadiusLarge, padding: '12px', boxShadow: tokens.shadow4 },
  signin: { maxWidth: '420px', margin: '10vh auto', padding: '0 16px', display: 'grid', gridTemplateColumns: 'minmax(0, 1fr)', gap: '12px' },
});

export function App() {
  const [host, setHost] = useState<Host>();
  const [theme, setTheme] = useState<Theme>('default');
  useEffect(() => {
    void detectHost().then((h) => {
      setHost(h);
      setTheme(h.theme);
      h.onThemeChange(setTheme);
    });
  }, []);
  return (
    <FluentProvider theme={THEMES[theme]}>
      {host ? <SignedIn host={host} /> : <Spinner label="Starting Lamplight…" />}
    </FluentProvider>
  );
}

function SignedIn({ host }: { host: Host }) {
  const styles = useStyles();
  const api = useMemo(() => (host.getToken ? new Api(host.getToken) : undefined), [host]);
  if (host.inTeams && api) return <div className={styles.page}><Workspace api={api} linked={conversationLinked(host.subPageId)} /></div>;
  return <WebSession />;
}

type SignInConfig = { mode: 'dev' } | { mode: 'teams-only' } | OidcConfig;

/** Outside Teams: the server says how to sign in (dev sign-in, the organisation's identity provider, or Teams only). */
function WebSession() {
  const [config, setConfig] = useState<SignInConfig | 'unavailable'>();
  const load = useCallback(() => {
    setConfig(undefined);
    fetch('/app/sign-in.json').then((r) => (r.ok ? r.json() : Promise.reject(new Error()))).then(setConfig, () => setConfig('unavailable'));
  }, []);
  useEffect(load, [load]);
  if (!config) return <Spinner label="Signing in…" />;
  if (config === 'unavailable') {
    return <SignInPage title="Lamplight"><MessageBar intent="error" layout="multiline"><MessageBarBody>Sign-in is unavailable: the identity provider cannot be reached. Try again in a minute.</MessageBarBody></MessageBar><Button onClick={load}>Try again</Button></SignInPage>;
  }
  if (config.mode === 'teams-only') return <SignInPage title="Lamplight"><MessageBar intent="info" layout="multiline"><MessageBarBody>Open Lamplight from its tab in Microsoft Teams to sign in.</MessageBarBody></MessageBar></SignInPage>;
  if (config.mode === 'dev') return <DevSession />;
  return <OidcSession config={config} />;
}

function SignInPage({ title, children }: { title: string; children: React.ReactNode }) {
  const styles = useStyles();
  return <main className={styles.signin}><Text as="h1" size={600} weight="semibold">{title}</Text>{children}</main>;
}

const SIGNED_OUT_KEY = 'lamplight-signed-out';
/** Once per page load, even when React runs the effect twice: a code can be exchanged only once. */
let establishing: Promise<'signed-in' | 'signed-out'> | undefined;

/** Outside Teams with an identity provider configured: authorization code + PKCE, then the inbox. */
function OidcSession({ config }: { config: OidcConfig }) {
  const styles = useStyles();
  const [state, setState] = useState<'working' | 'signed-in' | 'signed-out' | { error: string }>('working');
  const api = useMemo(() => new Api(tokenSource(config)), [config]);
  useEffect(() => {
    establishing ??= (async () => {
      if (isReturnFromProvider()) {
        await completeSignIn(config);
        sessionStorage.removeItem(SIGNED_OUT_KEY);
        return 'signed-in';
      }
      if (hasSession()) return 'signed-in';
      if (sessionStorage.getItem(SIGNED_OUT_KEY)) return 'signed-out';
      return beginSignIn(config);
    })();
    establishing.then(setState, (e: unknown) => setState({ error: e instanceof SignInError ? e.message : 'The sign-in failed. Sign in again.' }));
  }, [config]);
  const signInAgain = () => { sessionStorage.removeItem(SIGNED_OUT_KEY); setState('working'); void beginSignIn(config); };
  if (state === 'working') return <Spinner label="Signing in…" />;
  if (state === 'signed-in') {
    return <div className={styles.page}><Workspace api={api} linked={conversationLinked()} onSignOut={() => { signOut(); establishing = undefined; sessionStorage.setItem(SIGNED_OUT_KEY, '1'); setState('signed-out'); }} /></div>;
  }
  return (
    <SignInPage title="Lamplight">
      {typeof state === 'object' ? <MessageBar intent="error" layout="multiline"><MessageBarBody>{state.error}</MessageBarBody></MessageBar> : <Text>You have signed out.</Text>}
      <Button appearance="primary" onClick={signInAgain}>Sign in</Button>
    </SignInPage>
  );
}

/** The embedded default outside Teams: a demo staff member, signed by the server's dev identity provider. */
function DevSession() {
  const styles = useStyles();
  const [token, setToken] = useState<string | null>(() => sessionStorage.getItem(TOKEN_KEY));
  const api = useMemo(() => new Api(async () => token ?? ''), [token]);
  if (!token) return <DevSignIn onToken={(t) => { sessionStorage.setItem(TOKEN_KEY, t); setToken(t); }} />;
  return <div className={styles.page}><Workspace api={api} linked={conversationLinked()} onSignOut={() => { sessionStorage.removeItem(TOKEN_KEY); setToken(null); }} /></div>;
}

/** Pick a demo staff member; the server's dev identity provider signs the token. */
function DevSignIn({ onToken }: { onToken: (token: string) => void }) {
  const [staff, setStaff] = useState<{ email: string; name: string }[]>();
  const [choice, setChoice] = useState('');
  useEffect(() => {
    fetch('/dev/idp/staff').then((r) => (r.ok ? r.json() : Promise.reject())).then((b) => setStaff(b.staff), () => setStaff([]));
  }, []);
  return (
    <SignInPage title="Lamplight: dev sign-in">
      <Text>Outside Teams, the embedded default signs you in as a demo staff member.</Text>
      <Select aria-label="Demo staff member" value={choice} onChange={(_, d) => setChoice(d.value)}>
        <option value="">Choose a person…</option>
        {staff?.map((s) => <option key={s.email} value={s.email}>{s.name} ({s.email})</option>)}
      </Select>
      <Button appearance="primary" disabled={!choice} onClick={async () => {
        const r = await fetch('/dev/idp/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: choice }) });
        if (r.ok) onToken((await r.json()).access_token);
      }}>Sign in</Button>
    </SignInPage>
  );
}

function beep(): void {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    osc.frequency.value = 880;
    osc.connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.25);
  } catch { /* no audio: the notification still shows */ }
}

function Workspace({ api, onSignOut, linked }: { api: Api; onSignOut?: () => void; linked?: string }) {
  const styles = useStyles();
  const [me, setMe] = useState<Me>();
  const [services, setServices] = useState<Services>();
  const [service, setService] = useState('');
  const [queue, setQueue] = useState('open');
  const [list, setList] = useState<{ counts: Counts; total?: number; conversations: Summary[] }>();
  // A link to a conversation opens it; the address then follows what is open.
  const [selected, setSelected] = useState<string | undefined>(linked);
  useEffect(() => showConversationInAddress(selected), [selected]);
  // A search replaces the queues until it is cleared; live updates rerun it.
  const [searchParams, setSearchParams] = useState<SearchParams>();
  const [searchResult, setSearchResult] = useState<SearchResult>();
  // Which screen: the inbox for everyone; escalations for duty leads and admins; admin for admins.
  const [view, setView] = useState<'inbox' | 'escalations' | 'reports' | 'admin' | 'settings'>('inbox');
  // Below 700 px (a phone, Teams' side panel) the list and the conversation take turns.
  const [narrow, setNarrow] = useState(() => window.matchMedia('(max-width: 699px)').matches);
  useEffect(() => {
    const query = window.matchMedia('(max-width: 699px)');
    const changed = () => setNarrow(query.matches);
    query.addEventListener('change', changed);
    return () => query.removeEventListener('change', changed);
  }, []);
  const [live, setLive] = useState<'connecting' | 'live' | 'reconnecting' | 'paused'>('connecting');
  const [streamGeneration, setStreamGeneration] = useState(0);
  const [error, setError] = useState<string>();
  const [alerts, setAlerts] = useState(typeof Notification !== 'undefined' && Notification.permission === 'granted');
  const lastEventId = useRef<number | undefined>(undefined);
  const selectedRef = useRef<string | undefined>(undefined);
  selectedRef.current = selected;

  const reload = useCallback(() => {
    const params = new URLSearchParams({ queue, ...(service ? { service } : {}) });
    api.get<{ counts: Counts; total?: number; conversations: Summary[] }>(`/conversations?${params}`).then((l) => { setList(l); setError(undefined); }, (e: Error) => setError(e.message));
    if (searchParams) {
      const query = new URLSearchParams({ ...searchParams, ...(service ? { service } : {}) } as Record<string, string>);
      api.get<SearchResult>(`/search/conversations?${query}`).then(setSearchResult, (e: Error) => { setError(e.message); setSearchResult({ conversations: [], complete: true, scanned: { conversations: 0, messages: 0 } }); });
    }
  }, [api, queue, service, searchParams]);
  const search = useCallback((params: SearchParams | undefined) => { setSearchResult(undefined); setSearchParams(params); }, []);

  useEffect(() => {
    api.get<Me>('/me').then(setMe, (e: Error) => setError(e.message));
    api.get<Services>('/services').then(setServices, (e: Error) => setError(e.message));
  }, [api]);
  useEffect(reload, [reload]);

  // Live updates: events name what changed; the inbox refetches it. Reconnects resume by event id,
  // each with a token fresh from the token source. A stream whose token expired reconnects at once;
  // one closed because the person has it open in too many places waits for a click here.
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const soon = () => { clearTimeout(timer); timer = setTimeout(reload, 100); };
    void (async () => {
      while (!controller.signal.aborted) {
        let end: StreamEnd | undefined;
        try {
          end = await api.stream((type, data) => {
            setLive('live');
            if (type === 'ready') {
              // A first connection starts from now (the inbox has just loaded); a reconnection resumes.
              if (lastEventId.current === undefined && typeof data.lastEventId === 'number') lastEventId.current = data.lastEventId;
              return;
            }
            if (typeof data.id === 'number') lastEventId.current = data.id;
            if (type === 'resync') { lastEventId.current = undefined; soon(); window.dispatchEvent(new Event('lamplight:conversation-changed')); return; }
            soon();
            // The escalations screen listens for this (it loads its own list).
            if (type.startsWith('escalation.')) window.dispatchEvent(new Event('lamplight:escalations-changed'));
            if (data.conversationId && data.conversationId === selectedRef.current) window.dispatchEvent(new Event('lamplight:conversation-changed'));
            if (type === 'message.created' && data.level === 'high' && typeof Notification !== 'undefined' && Notification.permission === 'granted') {
              new Notification('Lamplight: high-risk message', { body: 'A high-risk message has arrived. Open Lamplight to see it.', requireInteraction: true });
              beep();
            }
          }, controller.signal, () => lastEventId.current);
        } catch { /* dropped: wait and resume */ }
        if (controller.signal.aborted) break;
        if (end === 'superseded') { setLive('paused'); break; }
        if (end === 'expired') continue;
        setLive('reconnecting');
        await new Promise((r) => setTimeout(r, 2000));
      }
    })();
    return () => { controller.abort(); clearTimeout(timer); };
  }, [api, reload, streamGeneration]);

  // Keyboard: j / k next and previous conversation, r to reply (not while typing).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = (e.target as HTMLElement)?.closest?.('input, textarea, select, [contenteditable]');
      if (typing || e.ctrlKey || e.metaKey || e.altKey || !list) return;
      const ids = (searchParams ? searchResult?.conversations ?? [] : list.conversations).map((c) => c.id);
      const at = selected ? ids.indexOf(selected) : -1;
      if (e.key === 'j' && ids.length) setSelected(ids[Math.min(ids.length - 1, at + 1)]);
      else if (e.key === 'k' && ids.length) setSelected(ids[Math.max(0, at - 1)]);
      else if (e.key === 'r') { e.preventDefault(); document.querySelector<HTMLTextAreaElement>('section[aria-label="Conversation"] textarea')?.focus(); }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [list, selected, searchParams, searchResult]);

  const leads = me?.memberships.some((m) => m.role === 'duty-lead' || m.role === 'admin') ?? false;
  const admins = me?.memberships.some((m) => m.role === 'admin') ?? false;
  const openConversation = useCallback((id: string) => { setView('inbox'); setSelected(id); }, []);
  if (!me || !services) return error ? <MessageBar intent="error"><MessageBarBody>{error}</MessageBarBody></MessageBar> : <Spinner label="Loading your inbox…" />;
  return (
    <>
      <header className={styles.header}>
        <Text as="h1" size={600} weight="semibold">Lamplight</Text>
        <Text size={200} aria-live="polite">{live === 'live' ? '● Live' : live === 'connecting' ? 'Connecting…' : live === 'paused' ? 'Live updates paused: Lamplight is open in too many places' : 'Reconnecting…'}</Text>
        {live === 'paused' && <Button size="small" onClick={() => { setLive('connecting'); setStreamGeneration((n) => n + 1); }}>Resume live updates here</Button>}
        {!alerts && typeof Notification !== 'undefined' && <Button size="small" onClick={() => Notification.requestPermission().then((p) => setAlerts(p === 'granted'))}>Alert me to high-risk messages</Button>}
        <Text size={200}>{me.name}</Text>
        {onSignOut && <Button size="small" appearance="subtle" onClick={onSignOut}>Sign out</Button>}
        <Text size={100}>Keys: j/k next/previous, r reply, Ctrl+Enter send</Text>
      </header>
      {error && <MessageBar intent="error"><MessageBarBody>{error}</MessageBarBody></MessageBar>}
      <TabList selectedValue={view} onTabSelect={(_, d) => setView(d.value as typeof view)} aria-label="Screens" className={styles.screens}>
        <Tab value="inbox">Inbox</Tab>
        {(leads || admins) && <Tab value="escalations">Escalations</Tab>}
        {(leads || admins) && <Tab value="reports">Reports</Tab>}
        {admins && <Tab value="admin">Admin</Tab>}
        <Tab value="settings">Settings</Tab>
      </TabList>
      {view === 'escalations' && <main className={styles.panel} aria-label="Escalations"><Escalations api={api} me={me} services={services} onOpenConversation={openConversation} /></main>}
      {view === 'reports' && <main className={styles.panel} aria-label="Reports"><Reports api={api} me={me} services={services} /></main>}
      {view === 'settings' && <main className={styles.panel} aria-label="Settings"><Settings api={api} me={me} services={services} /></main>}
      {view === 'admin' && <main className={styles.panel} aria-label="Admin"><Admin api={api} me={me} services={services} onOpenConversation={openConversation} /></main>}
      <div className={view === 'inbox' ? styles.grid : styles.hidden}>
        <div className={narrow && selected ? styles.hidden : styles.panel}>
          <Inbox services={services} service={service} onService={setService} queue={queue} onQueue={setQueue} counts={list?.counts} conversations={list?.conversations ?? []} total={list?.total} selected={selected} onSelect={setSelected} search={searchResult} searching={!!searchParams} onSearch={search} />
        </div>
        <main className={narrow && !selected ? styles.hidden : styles.panel} aria-label="Selected conversation">
          {narrow && selected && <Button onClick={() => setSelected(undefined)}>← All conversations</Button>}
          {selected ? <ConversationView key={selected} api={api} id={selected} me={me} services={services} onChanged={reload} onOpen={setSelected} /> : <Text>Choose a conversation.</Text>}
        </main>
      </div>
    </>
  );
}
