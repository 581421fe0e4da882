/**
 * What the service user's chat page (`/chat/<slug>`) shows, worked out by the server from the
 * services config: the page renderer (render.ts) turns it into HTML and never reads the config.
 * Every string here is plain text: the renderer escapes it.
 */
export interface ChatPageView {
  slug: string;
  /** "School Nursing" */
  serviceName: string;
  /** "Lamplight Demo Community NHS Trust" */
  organisation: string;
  /** Who answers, as the young person reads it: "a school nurse". */
  answeredBy: string;
  /** How soon a reply comes: "within one working day". */
  replyPromise: string;
  /** The opening hours, one line per day in week order, e.g. { day: 'Monday', times: '9am to 5pm' } or { day: 'Saturday', times: 'Closed' }. */
  hours: { day: string; times: string }[];
  /** Whether the service is open at the time the page was rendered. */
  openNow: boolean;
  /** "Open now until 5pm" or "Closed now. Opens at 9am on Monday 7 December." */
  statusLine: string;
  /**
   * The service's SMS number, when it has one: a reply shows on the page only while it stays open,
   * so the page offers texting instead. `e164` for the link, `display` as people write it.
   */
  textNumber?: { e164: string; display: string };
  /** The first-contact confidentiality notice, shown before the first message. */
  confidentiality: string;
  /** The neutral site Quick exit replaces the page with. */
  exitUrl: string;
  /** True when the page runs inside the embeddable widget's iframe (`?embed=1`). */
  embedded: boolean;
  /** The Direct Line base the page's client uses: `<public url>/v3/directline`. */
  directLineDomain: string;
  /** Where the page asks for its token: `/api/webchat/<slug>/token`. */
  tokenUrl: string;
  /** Where the page's own scripts, styles and the NHS.UK frontend are served from: `/chat/assets`. */
  assetBase: string;
}
