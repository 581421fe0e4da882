import { expect } from 'chai';
import { PassThrough, Readable } from 'node:stream';
import { triageJsonl } from '../../triage/cli';
import { assessSafely, buildTriageEngine, TRIAGE_FAILED } from '../../triage';

/** An engine that fails on one text, as a bug in it would. */
const failingOn = (bad: string) => {
  const engine = buildTriageEngine();
  return {
    assess: (text: string) => {
      if (text === bad) throw new TypeError('apostrophe.map is not a function');
      return engine.assess(text);
    },
  };
};

const collect = () => {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk) => (text += chunk));
  return { stream, text: () => text };
};

describe('assessSafely', () => {
  it('when triage works, then it answers as assess does, without "failed"', () => {
    const result = assessSafely(buildTriageEngine(), 'i want to die');
    expect(result.level).to.equal('high');
    expect(result).not.to.have.property('failed');
  });

  it('when triage throws, then the message is high with the one reason triage-failed, and the error is handed over', () => {
    const seen: unknown[] = [];
    const result = assessSafely(failingOn('constructor'), 'constructor', (error) => seen.push(error));
    expect(result).to.deep.equal({
      level: 'high', failed: true,
      reasons: [{ category: 'triage-failed', level: 'high', phrase: '', start: 0, end: 0, rule: 'triage-failed', why: 'triage could not read this message; treated as high risk' }],
    });
    expect(seen).to.have.length(1);
    expect((seen[0] as Error).message).to.equal('apostrophe.map is not a function');
  });

  it('when the error handler throws too, then it still answers high', () => {
    const result = assessSafely(failingOn('x'), 'x', () => { throw new Error('logger down'); });
    expect(result).to.include({ level: 'high', failed: true });
  });

  it('hands out a copy of the failure reason, so a caller cannot change the next one', () => {
    const first = assessSafely(failingOn('x'), 'x');
    first.reasons[0].why = 'changed';
    expect(assessSafely(failingOn('x'), 'x').reasons[0].why).to.equal(TRIAGE_FAILED.why);
  });
});

describe('triage --jsonl when triage fails on a line', () => {
  it('answers that line high with reason triage-failed, names the line on stderr, goes on, and exits 0 (every message answered)', async () => {
    const input = Readable.from([
      JSON.stringify({ id: 'a', text: 'hello' }), '\n',
      JSON.stringify({ id: 'b', text: 'constructor' }), '\n',
      JSON.stringify({ id: 'c', text: 'i want to die' }), '\n',
    ]);
    const output = collect();
    const errors = collect();
    const code = await triageJsonl(input, output.stream, errors.stream, failingOn('constructor'));
    expect(code).to.equal(0);
    const lines = output.text().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.id, l.level])).to.deep.equal([['a', 'none'], ['b', 'high'], ['c', 'high']]);
    expect(lines[1]).to.deep.equal({ id: 'b', level: 'high', reasons: [{ ...TRIAGE_FAILED }] });
    expect(errors.text()).to.contain('line 2: triage failed (apostrophe.map is not a function)').and.contain('1 message(s) could not be triaged');
  });
});
