import { makeStyles, tokens } from '@fluentui/react-components';
import type { ReactNode } from 'react';

/** The admin screens' common look: tables that scroll inside a labelled, focusable region at any width. */
export const useAdminStyles = makeStyles({
  stack: { display: 'flex', flexDirection: 'column', gap: '12px', minWidth: 0 },
  row: { display: 'flex', gap: '8px', flexWrap: 'wrap', alignItems: 'flex-end' },
  filter: { minWidth: '140px', flex: '1 1 160px', maxWidth: '260px' },
  region: {
    overflowX: 'auto', maxWidth: '100%', border: `1px solid ${tokens.colorNeutralStroke2}`, borderRadius: tokens.borderRadiusMedium,
    ':focus-visible': { outline: `2px solid ${tokens.colorStrokeFocus2}`, outlineOffset: '2px' },
  },
  // Below this the table scrolls sideways inside its region rather than squeezing words into letters.
  table: { borderCollapse: 'collapse', width: '100%', minWidth: '720px', fontSize: tokens.fontSizeBase200 },
  th: { textAlign: 'left', padding: '6px 8px', borderBottom: `1px solid ${tokens.colorNeutralStroke1}`, whiteSpace: 'nowrap', fontWeight: tokens.fontWeightSemibold },
  td: { padding: '6px 8px', borderBottom: `1px solid ${tokens.colorNeutralStroke2}`, verticalAlign: 'top', overflowWrap: 'break-word' },
  nowrap: { whiteSpace: 'nowrap' },
  muted: { color: tokens.colorNeutralForeground2 },
  code: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200 },
  card: { border: `1px solid ${tokens.colorNeutralStroke2}`, borderRadius: tokens.borderRadiusMedium, padding: '10px 12px', display: 'flex', flexDirection: 'column', gap: '6px', minWidth: 0 },
});

/** A wide table in a region that scrolls sideways by itself, reachable and named for keyboard and screen reader users. */
export function ScrollRegion({ label, children }: { label: string; children: ReactNode }) {
  const styles = useAdminStyles();
  return <div role="region" aria-label={label} tabIndex={0} className={styles.region}>{children}</div>;
}

/**
 * The instant a London calendar day starts, as ISO 8601: an admin's "from 1 March" means midnight
 * in the services' zone, not in UTC or in the browser's zone.
 */
export function londonDayStart(day: string, plusDays = 0): string {
  const [y, m, d] = day.split('-').map(Number);
  const utcMidnight = Date.UTC(y, m - 1, d + plusDays);
  // London's offset from UTC at that moment: its wall clock read back as if it were UTC.
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(new Date(utcMidnight));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'));
  return new Date(utcMidnight - (wall - utcMidnight)).toISOString();
}
