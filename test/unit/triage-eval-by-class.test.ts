import { expect } from 'chai';
import type { Assessment } from '../../triage/engine';
import type { Level } from '../../triage/lexicon';
import { evaluate, evaluateByClass, formatByClass, formatFigures, Labelled } from '../../triage/evaluate';

/** A fake engine: each text says what it scores ("-> high"), so the tests need no lexicon. */
const fake = (text: string): Assessment => ({ level: (/-> (high|medium|none)/.exec(text)?.[1] ?? 'none') as Level, reasons: [] });

const item = (id: string, cls: string | undefined, label: Level, got: Level, alt?: Level): Labelled => ({
  id, text: `${id} -> ${got}`, label, ...(alt ? { alt } : {}), ...(cls ? { class: cls } : {}),
});

describe('triage evaluation by class', () => {
  const items: Labelled[] = [
    item('h1', 'od', 'high', 'high'),
    item('h2', 'od', 'high', 'medium'),
    item('h3', 'od', 'high', 'none'),
    item('h4', 'od', 'high', 'medium', 'medium'),
    item('m1', 'food', 'medium', 'medium'),
    item('m2', 'food', 'medium', 'high'),
    item('m3', 'food', 'medium', 'none'),
    item('m4', 'food', 'medium', 'none', 'none'),
    item('m5', 'food', 'medium', 'high', 'high'),
    item('n1', 'play', 'none', 'none'),
    item('n2', 'play', 'none', 'medium'),
    item('n3', 'play', 'none', 'high'),
    item('n4', 'play', 'none', 'medium', 'medium'),
    item('x1', undefined, 'high', 'none'),
  ];

  it('counts n, exact (label or alt) and flagged / stayed routine per class, in order of first appearance', () => {
    const rows = evaluateByClass(items, fake);
    expect(rows.map((r) => [r.class, r.level, r.n, r.exact, r.flaggedOrRoutine])).to.deep.equal([
      ['od', 'high', 4, 2, 3], // h1 exact; h4 its alt; h2 and h4 flagged though not high; h3 not flagged
      ['food', 'medium', 5, 3, 4], // m1, m4 (alt none), m5 (alt high) exact; m2 flagged but too high; m3 missed
      ['play', 'none', 4, 2, 2], // n1 and n4 (alt medium) stay as labelled; n2 and n3 flagged
    ]);
  });

  it('lists each class\'s misses with label, alt and what the engine said', () => {
    const rows = evaluateByClass(items, fake);
    expect(rows.find((r) => r.class === 'od')!.misses.map((m) => `${m.id}:${m.label}->${m.got}`)).to.deep.equal(['h2:high->medium', 'h3:high->none']);
    expect(rows.find((r) => r.class === 'food')!.misses.map((m) => m.id)).to.deep.equal(['m2', 'm3']);
    expect(rows.find((r) => r.class === 'play')!.misses.map((m) => m.id)).to.deep.equal(['n2', 'n3']);
  });

  it('leaves out items without a class, and returns nothing for a file without classes', () => {
    expect(evaluateByClass(items, fake).some((r) => r.misses.some((m) => m.id === 'x1'))).to.equal(false);
    expect(evaluateByClass(items.map(({ class: _c, ...rest }) => rest), fake)).to.deep.equal([]);
    expect(formatByClass([])).to.equal('');
  });

  it('calls assess once per classed item', () => {
    let calls = 0;
    evaluateByClass(items, (t) => (calls++, fake(t)));
    expect(calls).to.equal(items.length - 1);
  });

  it('formats a table row per class with counts and percentages, then the misses by class', () => {
    const text = formatByClass(evaluateByClass(items, fake));
    const lines = text.split('\n');
    expect(lines[0]).to.match(/^class\s+level\s+n\s+as labelled\s+flagged\/routine/);
    expect(lines[1]).to.match(/^od\s+high\s+4\s+2\/4\s+50\.0%\s+3\/4\s+75\.0%\s+flagged at all$/);
    expect(lines[2]).to.match(/^food\s+medium\s+5\s+3\/5\s+60\.0%\s+4\/5\s+80\.0%\s+flagged at all$/);
    expect(lines[3]).to.match(/^play\s+none\s+4\s+2\/4\s+50\.0%\s+2\/4\s+50\.0%\s+stayed routine$/);
    expect(text).to.contain('misses by class');
    expect(text).to.contain('    h3: high -> none  "h3 -> none"');
    expect(text).to.contain('    n3: none -> high  "n3 -> high"');
    expect(text).not.to.contain('h1:');
  });

  it('leaves evaluate and formatFigures as they were: the class field changes nothing there', () => {
    const withClass = evaluate(items, fake);
    const without = evaluate(items.map(({ class: _c, ...rest }) => rest), fake);
    expect(withClass).to.deep.equal(without);
    expect(formatFigures(withClass)).to.equal(formatFigures(without));
    expect(withClass.counts).to.deep.equal({ high: 5, medium: 5, none: 4 });
  });
});
