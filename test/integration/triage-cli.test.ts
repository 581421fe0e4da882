import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../support/process';

/** The operator contract, run exactly as DESIGN.md writes it: through npm, stdin to stdout. */
describe('npm run cli -- triage --jsonl', () => {
  if (process.env.TEST_DATABASE === 'postgres') return; // no database involved: once is enough

  const run = (args: string[], input: string) => spawnSync('npm', ['run', 'cli', '--', ...args], { cwd: ROOT, input, encoding: 'utf8', timeout: 60_000 });

  it('when JSON lines come in, then exactly one JSON line per message goes out, and nothing else on stdout', () => {
    const input = [
      { id: 'a', text: 'i wnat to kill mysefl' },
      { id: 'b', text: 'can i get the pill from the school nurse' },
      { id: 'c', text: "i've been self-harming again" },
    ].map((l) => JSON.stringify(l)).join('\n') + '\n';
    const result = run(['triage', '--jsonl'], input);
    expect(result.status, result.stderr).to.equal(0);
    const lines = result.stdout.split('\n').filter(Boolean);
    expect(lines).to.have.length(3);
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed.map((p) => [p.id, p.level])).to.deep.equal([['a', 'high'], ['b', 'none'], ['c', 'medium']]);
    expect(parsed[0].reasons[0]).to.include({ category: 'suicide', phrase: 'kill mysefl', start: 10, end: 21 });
  });

  it('when a line is not JSON, then it is reported on stderr, the rest still answered, and the exit code is non-zero', () => {
    const result = run(['triage', '--jsonl'], '{"id":"1","text":"hello"}\nnot json\n{"id":"2"}\n');
    expect(result.status).to.equal(1);
    // npm, in this project's JSON mode, appends its own error object after the answers when a command fails.
    expect(result.stdout.split('\n').filter((l) => l.startsWith('{"id"')).map((l) => JSON.parse(l).id)).to.deep.equal(['1']);
    expect(result.stdout.startsWith('{"id":"1"')).to.equal(true);
    expect(result.stderr).to.contain('line 2: not JSON').and.contain('line 3: needs "id"');
  });

  it('when a text names a JavaScript object property, then it is triaged like any other', () => {
    const texts = ['constructor', '__proto__', 'hasOwnProperty', 'toString', 'valueOf', 'constructor i want to die'];
    const result = run(['triage', '--jsonl'], texts.map((text, i) => JSON.stringify({ id: i, text })).join('\n') + '\n');
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).level)).to.deep.equal(['none', 'none', 'none', 'none', 'none', 'high']);
  });

  it('triage-eval prints the figures for a labelled file', () => {
    const result = run(['triage-eval', join(ROOT, 'test', 'fixtures', 'triage', 'probes.jsonl')], '');
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^engine: rules \+ second opinion \(model trained on \d+ messages\)\nmessages: \d+ high, \d+ medium, \d+ routine/).and.contain('high scored high');
    expect(result.stdout).to.contain('confusion (label down, level given across):').and.contain('the second opinion alone');
    const rulesOnly = run(['triage-eval', join(ROOT, 'test', 'fixtures', 'triage', 'probes.jsonl'), '--rules-only'], '');
    expect(rulesOnly.stdout).to.match(/^engine: rules only\n/).and.not.contain('second opinion alone');
  });
});
