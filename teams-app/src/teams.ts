import { app, authentication } from '@microsoft/teams-js';

export type Theme = 'default' | 'dark' | 'contrast';

export interface Host {
  inTeams: boolean;
  theme: Theme;
  userPrincipalName?: string;
  /** Teams' locale inside Teams, else the browser's language. */
  locale?: string;
  getToken?: () => Promise<string>;
  /** Inside Teams, what a deep link asked the tab to show (its context's subEntityId). */
  subPageId?: string;
  onThemeChange(handler: (theme: Theme) => void): void;
}

const toTheme = (t: string | undefined): Theme => (t === 'dark' ? 'dark' : t === 'contrast' ? 'contrast' : 'default');

/**
 * Inside Teams: initialise, read the context, follow theme changes, use tab SSO for the API.
 * A page that is not framed cannot be in Teams, so it skips the SDK (whose initialise only gives
 * up after about five seconds); a framed page not hosted by Teams gives up after 2.5 s.
 */
export async function detectHost(): Promise<Host> {
  const webOnly: Host = { inTeams: false, theme: preferredTheme(), locale: navigator.language, onThemeChange: () => undefined };
  if (window.self === window.top || new URLSearchParams(location.search).has('web')) return webOnly;
  try {
    await Promise.race([app.initialize(), new Promise((_, reject) => setTimeout(() => reject(new Error('not in Teams')), 2500))]);
    const context = await app.getContext();
    return {
      inTeams: true,
      theme: toTheme(context.app.theme),
      userPrincipalName: context.user?.userPrincipalName,
      locale: context.app.locale,
      subPageId: context.page.subPageId,
      getToken: () => authentication.getAuthToken(),
      onThemeChange: (handler) => app.registerOnThemeChangeHandler((t) => handler(toTheme(t))),
    };
  } catch {
    return webOnly;
  }
}

function preferredTheme(): Theme {
  const asked = new URLSearchParams(location.search).get('theme');
  if (asked === 'dark' || asked === 'contrast' || asked === 'default') return asked;
  if (window.matchMedia?.('(forced-colors: active)').matches) return 'contrast';
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'default';
}
