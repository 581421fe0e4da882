import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { encodePng } from './png';
import { zip } from './zip';

/**
 * `npm run teams:package`: the Teams app package (manifest.json, color.png 192x192, outline.png
 * 32x32 transparent, at the zip root) with a personal static tab, `webApplicationInfo` for tab
 * SSO, and the duty-lead bot for team channels. Values come from the environment so the same build serves any trust:
 *   PUBLIC_URL (https, where Teams loads the tab), MICROSOFT_APP_ID (the Entra app / bot id),
 *   AUTH_AUDIENCE (the API's application id URI, e.g. api://lamplight.example.nhs.uk/<app id>).
 */
export const MANIFEST_VERSION = '1.24';
export const SCHEMA_PATH = require.resolve(`@microsoft/app-manifest/build/json-schemas/teams/v${MANIFEST_VERSION}/MicrosoftTeams.schema.json`);
import { DEV_APP_ID, TAB_ENTITY_ID } from '../../bot/teams/links';

/** The bot's commands, as Teams offers them where each works (what DutyLeadBot.command answers). */
export const BOT_COMMANDS = [
  {
    scopes: ['team'],
    commands: [
      { title: 'link', description: 'Send a service\'s escalation cards to this channel: link school-nursing (admins of the service)' },
      { title: 'unlink', description: 'Stop a service\'s escalation cards coming to this channel: unlink school-nursing' },
      { title: 'help', description: 'What the Lamplight bot does in a duty-lead channel' },
    ],
  },
  {
    scopes: ['personal'],
    commands: [
      { title: 'mute', description: 'No notices of assignments and transfers (escalation alerts still come)' },
      { title: 'unmute', description: 'Notices of assignments and transfers again' },
      { title: 'help', description: 'What Lamplight tells you here' },
    ],
  },
];

export function buildManifest(env: NodeJS.ProcessEnv = process.env) {
  const base = new URL(env.PUBLIC_URL && env.PUBLIC_URL.startsWith('https://') ? env.PUBLIC_URL : 'https://lamplight.example.nhs.uk');
  const appId = env.MICROSOFT_APP_ID || DEV_APP_ID;
  const version = (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  return {
    $schema: `https://developer.microsoft.com/json-schemas/teams/v${MANIFEST_VERSION}/MicrosoftTeams.schema.json`,
    manifestVersion: MANIFEST_VERSION,
    version,
    id: appId,
    developer: {
      name: 'Lamplight',
      websiteUrl: base.origin,
      privacyUrl: `${base.origin}/app/`,
      termsOfUseUrl: `${base.origin}/app/`,
    },
    name: { short: 'Lamplight', full: 'Lamplight clinical messaging inbox' },
    description: {
      short: 'Answer service users\' messages safely: risk first, nothing missed.',
      full: 'The clinician inbox for Lamplight, the secure messaging gateway for NHS community services: SMS, WhatsApp and web chat conversations with risk triage, duty-lead escalations, templates, notes and an audit trail.',
    },
    icons: { color: 'color.png', outline: 'outline.png' },
    accentColor: '#005EB8',
    staticTabs: [
      { entityId: TAB_ENTITY_ID, name: 'Inbox', contentUrl: `${base.origin}/app/?inTeams=1`, websiteUrl: `${base.origin}/app/`, scopes: ['personal'] },
    ],
    // The duty-lead bot. In a team: escalation cards in the channel an admin links with a command
    // (bot/teams/duty-lead-bot.ts). Personal: notices to each member of staff who adds the app.
    bots: [{
      botId: appId, scopes: ['team', 'personal'], isNotificationOnly: false, supportsFiles: false,
      commandLists: BOT_COMMANDS,
    }],
    permissions: ['identity'],
    validDomains: [base.host],
    webApplicationInfo: { id: appId, resource: env.AUTH_AUDIENCE || `api://${base.host}/${appId}` },
  };
}

/** A white lamp flame on NHS blue, full bleed (Teams rounds the corners). */
export function colorIcon(): Buffer {
  return encodePng(192, 192, (x, y) => (inFlame(x / 192, y / 192) ? [255, 255, 255, 255] : [0, 94, 184, 255]));
}

/** The same flame as a white outline on a transparent background, as Teams requires. */
export function outlineIcon(): Buffer {
  return encodePng(32, 32, (x, y) => {
    const inside = inFlame((x + 0.5) / 32, (y + 0.5) / 32);
    const edge = inside && [[1, 0], [-1, 0], [0, 1], [0, -1]].some(([dx, dy]) => !inFlame((x + dx + 0.5) / 32, (y + dy + 0.5) / 32));
    return edge ? [255, 255, 255, 255] : [0, 0, 0, 0];
  });
}

function inFlame(u: number, v: number): boolean {
  // A teardrop: a circle below meeting a point above.
  const cx = 0.5;
  const cy = 0.6;
  const r = 0.22;
  if ((u - cx) ** 2 + (v - cy) ** 2 <= r * r) return true;
  if (v < cy && v > 0.15) {
    const halfWidth = r * ((v - 0.15) / (cy - 0.15));
    return Math.abs(u - cx) <= halfWidth;
  }
  return false;
}

export function buildPackage(env: NodeJS.ProcessEnv = process.env): Buffer {
  return zip([
    { name: 'manifest.json', data: Buffer.from(JSON.stringify(buildManifest(env), null, 2) + '\n') },
    { name: 'color.png', data: colorIcon() },
    { name: 'outline.png', data: outlineIcon() },
  ]);
}

export async function validateManifest(manifest: unknown): Promise<string[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { AppManifestUtils } = require('@microsoft/app-manifest') as { AppManifestUtils: { validateAgainstSchema(m: unknown, s: unknown): Promise<string[]> } };
  return AppManifestUtils.validateAgainstSchema(manifest, JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')));
}

if (require.main === module) {
  void (async () => {
    const manifest = buildManifest();
    const problems = await validateManifest(manifest);
    if (problems.length) {
      process.stderr.write(`The manifest does not validate against the Teams v${MANIFEST_VERSION} schema:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
      process.exit(1);
    }
    const out = join(__dirname, '..', '..', 'lamplight-teams-app.zip');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, buildPackage());
    process.stdout.write(`${out}\n  manifest v${MANIFEST_VERSION} validated; tab ${manifest.staticTabs[0].contentUrl}; SSO resource ${manifest.webApplicationInfo.resource}\n`);
  })();
}
