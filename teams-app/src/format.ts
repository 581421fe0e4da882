/**
 * Dates and times in the clinician's own locale: Teams' locale inside Teams (context.app.locale),
 * the browser's language outside it; British English when neither is usable.
 */
let locale = 'en-GB';

export function setLocale(candidate: string | undefined): void {
  if (!candidate) return;
  try {
    locale = Intl.DateTimeFormat.supportedLocalesOf([candidate])[0] ?? locale;
  } catch { /* not a language tag: keep the default */ }
}

export const dateTime = (iso: string): string => new Date(iso).toLocaleString(locale, { dateStyle: 'short', timeStyle: 'short' });
export const date = (iso: string): string => new Date(iso).toLocaleDateString(locale);
