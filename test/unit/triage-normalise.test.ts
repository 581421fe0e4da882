import { expect } from 'chai';
import { LOOK_ALIKE_LETTERS, normalise } from '../../triage/normalise';

/** The original text behind each normalised code unit, as the offset map gives it. */
const sources = (original: string) => {
  const { text, originalSpan } = normalise(original);
  return [...text].map((_, i) => {
    const { start, end } = originalSpan(i, i + 1);
    return original.slice(start, end);
  });
};

describe('triage normalisation', () => {
  it('leaves plain text, digits and punctuation as they are, each character mapped to itself', () => {
    const original = 'took 30 pills, 2nite!! @ 8:45\n\tok?';
    const normalised = normalise(original);
    expect(normalised.text).to.equal(original);
    for (let i = 0; i < original.length; i++) expect(normalised.originalSpan(i, i + 1)).to.deep.equal({ start: i, end: i + 1 });
  });

  it('reads compatibility forms (NFKC): fullwidth, ligatures, mathematical letters, superscripts', () => {
    expect(normalise('ｋｉｌｌ ｍｙｓｅｌｆ').text).to.equal('kill myself');
    expect(normalise('ﬁnished').text).to.equal('finished');
    expect(normalise('𝐤𝐢𝐥𝐥 𝓂𝓎𝓈ℯ𝓁𝒻').text).to.equal('kill myself');
    expect(normalise('ᵏᶦˡˡ').text).to.equal('kill');
    expect(normalise('\u00A0').text).to.equal(' ');
  });

  it('maps every normalised character back to the whole original character it came from', () => {
    expect(sources('ﬁne')).to.deep.equal(['ﬁ', 'ﬁ', 'n', 'e']);
    expect(sources('a𝐤b')).to.deep.equal(['a', '𝐤', 'b']);
    expect(sources('e\u0301x')).to.deep.equal(['e\u0301', 'x']);
    const { originalSpan } = normalise('x𝐤𝐢𝐥𝐥y');
    expect(originalSpan(1, 5)).to.deep.equal({ start: 1, end: 9 });
  });

  it('takes out invisible and format characters, and the span of a word still covers them', () => {
    const original = 'k\u200Bi\u00ADl\u2060l\uFEFF \u202Eme\u202C \u200Cy\u200Do\u2066u\u2069 \u{E0041}x\u180E';
    const normalised = normalise(original);
    expect(normalised.text).to.equal('kill me you x');
    expect(normalised.originalSpan(0, 4)).to.deep.equal({ start: 0, end: 7 });
    expect(original.slice(normalised.originalSpan(0, 4).start, normalised.originalSpan(0, 4).end)).to.equal('k\u200Bi\u00ADl\u2060l');
  });

  it('remembers where a zero-width space was, for the tokeniser to decide whether it split a word', () => {
    expect(normalise('k\u200Bill').softBreaks).to.deep.equal([1]);
    expect(normalise('kill\u200B\u200Bmyself').softBreaks).to.deep.equal([4]);
    expect(normalise('k\u00ADill').softBreaks).to.deep.equal([]);
  });

  it('keeps the joiner inside an emoji sequence, which is part of the emoji', () => {
    expect(normalise('👩‍⚕️').text).to.contain('\u200D');
    expect(normalise('❤️‍🔥').text).to.contain('\u200D');
    expect(normalise('k\u200Dill').text).to.equal('kill');
    // An emoji presentation selector after a letter does not make the joiner after it an emoji's.
    expect(normalise('mys\uFE0F\u200Delf').text).to.equal('myself');
    expect(normalise('i\u034F\uFE00ll').text).to.equal('ill');
  });

  it('reads Cyrillic and Greek look-alikes, and small capitals, as the Latin letters they look like', () => {
    expect(normalise('kіll').text).to.equal('kill');
    expect(normalise('ѕυісіdаl').text).to.equal('suicidal');
    expect(normalise('КІLL МҮЅЕLF').text).to.equal('KILL MYSELF');
    expect(normalise('ΚΙLL').text).to.equal('KILL');
    expect(normalise('ᴋɪʟʟ ᴍʏsᴇʟғ').text).to.equal('kill myself');
    // An accented look-alike folds too, keeping its accent.
    expect(normalise('ё').text).to.equal('ë');
  });

  it('folds only letters, to Latin letters', () => {
    for (const [from, to] of LOOK_ALIKE_LETTERS) {
      expect(from, `${from} is not ASCII`).to.match(/^[^\x00-\x7F]$/u);
      expect(to, `${from} folds to a Latin letter`).to.match(/^[a-zA-Z]$/);
    }
  });

  it('reads at most a few combining marks on one letter, and the span keeps all of them', () => {
    const original = `a${'\u0301\u0316'.repeat(5000)}b`;
    const normalised = normalise(original);
    expect(normalised.text.length).to.be.below(12);
    expect(normalised.text.endsWith('b')).to.equal(true);
    expect(normalised.originalSpan(0, 1)).to.deep.equal({ start: 0, end: original.length - 1 });
  });

  it('passes lone surrogates through, one code unit each', () => {
    const original = '\uD800x\uDC00\uDBFF';
    expect(sources(original)).to.deep.equal(['\uD800', 'x', '\uDC00', '\uDBFF']);
  });

  it('maps an empty span to a place between characters', () => {
    const { text, originalSpan } = normalise('a\u200Bb');
    expect(originalSpan(1, 1)).to.deep.equal({ start: 2, end: 2 });
    expect(originalSpan(text.length, text.length)).to.deep.equal({ start: 3, end: 3 });
  });
});
