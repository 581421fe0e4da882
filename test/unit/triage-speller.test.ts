import { expect } from 'chai';
import { damerauLevenshtein } from '../../triage/speller';

describe('triage speller: optimal string alignment distance', () => {
  const cases: [string, string, number][] = [
    ['', '', 0], ['kill', 'kill', 0], ['kil', 'kill', 1], ['kill', 'kil', 1], ['wnat', 'want', 1], ['sucide', 'suicide', 1],
    ['mysefl', 'myself', 1], ['ca', 'abc', 3], ['kitten', 'sitting', 3], ['', 'abc', 3], ['abc', '', 3], ['overdose', 'overdoes', 1],
  ];
  for (const [a, b, distance] of cases) {
    it(`"${a}" to "${b}" is ${distance}`, () => expect(damerauLevenshtein(a, b)).to.equal(distance));
  }

  it('gives up past the limit with limit + 1, and answers exactly within it', () => {
    expect(damerauLevenshtein('kitten', 'sitting', 1)).to.equal(2);
    expect(damerauLevenshtein('abcdefgh', 'hgfedcba', 2)).to.equal(3);
    expect(damerauLevenshtein('x'.repeat(5000), 'y', 2)).to.equal(3);
    expect(damerauLevenshtein('sucide', 'suicide', 2)).to.equal(1);
  });
});
