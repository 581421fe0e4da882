import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../support/process';

/** The contract operators script against (DESIGN.md): npm's own words never reach the command's stdout. */
describe('npm run cli, as an operator scripts it', () => {
  it('when triage --jsonl runs through npm, then stdout holds nothing but one JSON line per input line', function () {
    this.timeout(60_000);
    const input = ['{"id":"a","text":"hello, can I ask about vaccinations"}', '{"id":"b","text":"constructor"}', '{"id":"c","text":"i took 20 paracetamol"}'].join('\n') + '\n';
    const result = spawnSync('npm', ['run', 'cli', '--', 'triage', '--jsonl'], { cwd: ROOT, input, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_ENV: '' } });
    expect(result.status, result.stderr).to.equal(0);
    const lines = result.stdout.split('\n').filter((line) => line !== '');
    expect(result.stdout.endsWith('\n')).to.equal(true);
    expect(lines.map((line) => JSON.parse(line).id)).to.deep.equal(['a', 'b', 'c']);
    expect(JSON.parse(lines[2]).level).to.equal('high');
  });
});
