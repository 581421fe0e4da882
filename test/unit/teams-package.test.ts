import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { buildManifest, buildPackage, colorIcon, outlineIcon, validateManifest } from '../../teams-app/package/build-package';

/** Decodes our own PNGs (filter 0, RGBA) to check sizes and pixels. */
function decode(png: Buffer): { width: number; height: number; colorType: number; pixels: number[][] } {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const colorType = png[25];
  const start = png.indexOf('IDAT') + 4;
  const length = png.readUInt32BE(start - 8);
  const raw = inflateSync(png.subarray(start, start + length));
  const pixels: number[][] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels.push([...raw.subarray(y * (width * 4 + 1) + 1 + x * 4, y * (width * 4 + 1) + 5 + x * 4)]);
  return { width, height, colorType, pixels };
}

describe('Teams app package', () => {
  it('when built, then Python\'s zipfile reads exactly manifest.json, color.png and outline.png at the root, with good CRCs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lamplight-pkg-'));
    try {
      const file = join(dir, 'app.zip');
      writeFileSync(file, buildPackage({ PUBLIC_URL: 'https://lamplight.trust.nhs.uk', MICROSOFT_APP_ID: '11111111-2222-4333-8444-555555555555' }));
      const script = 'import zipfile,sys,json; z=zipfile.ZipFile(sys.argv[1]); print(json.dumps({"names": z.namelist(), "bad": z.testzip(), "manifest": json.loads(z.read("manifest.json"))}))';
      const listed = JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' }));
      expect(listed.names.sort()).to.deep.equal(['color.png', 'manifest.json', 'outline.png']);
      expect(listed.bad).to.equal(null);
      expect(listed.manifest.staticTabs[0]).to.include({ contentUrl: 'https://lamplight.trust.nhs.uk/app/?inTeams=1' });
      expect(listed.manifest.webApplicationInfo).to.deep.equal({ id: '11111111-2222-4333-8444-555555555555', resource: 'api://lamplight.trust.nhs.uk/11111111-2222-4333-8444-555555555555' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the manifest validates against the official Teams schema, and a broken one does not', async function () {
    this.timeout(20_000);
    const manifest = buildManifest({ PUBLIC_URL: 'https://lamplight.trust.nhs.uk' });
    expect(await validateManifest(manifest)).to.deep.equal([]);
    // The bot in a team (the duty-lead channel) and personally (notices), each with the commands it answers there.
    expect(manifest.bots[0].scopes).to.deep.equal(['team', 'personal']);
    expect(manifest.bots[0].commandLists.map((l) => [l.scopes[0], l.commands.map((c) => c.title)])).to.deep.equal([['team', ['link', 'unlink', 'help']], ['personal', ['mute', 'unmute', 'help']]]);
    // A command list Teams would refuse (a scope it does not have, a command without a description) fails the same validation.
    const wrong = { ...manifest, bots: [{ ...manifest.bots[0], commandLists: [{ scopes: ['channel'], commands: [{ title: 'link' }] }] }] };
    expect((await validateManifest(JSON.parse(JSON.stringify(wrong)))).join('\n')).to.contain('commandLists');
    const broken = { ...buildManifest(), name: undefined, accentColor: 'blue' };
    const problems = await validateManifest(JSON.parse(JSON.stringify(broken)));
    expect(problems.join('\n')).to.contain('name').and.contain('accentColor');
  });

  it('the colour icon is 192x192 and opaque; the outline icon is 32x32, white on transparent', () => {
    const color = decode(colorIcon());
    expect([color.width, color.height, color.colorType]).to.deep.equal([192, 192, 6]);
    expect(color.pixels.every((p) => p[3] === 255)).to.equal(true);
    const outline = decode(outlineIcon());
    expect([outline.width, outline.height]).to.deep.equal([32, 32]);
    expect(outline.pixels.filter((p) => p[3] === 0).length).to.be.greaterThan(512);
    expect(outline.pixels.every((p) => p[3] === 0 || (p[0] === 255 && p[1] === 255 && p[2] === 255))).to.equal(true);
    expect(outline.pixels.some((p) => p[3] === 255)).to.equal(true);
  });
});
