import { expect } from 'chai';
import { csvCell, csvRecord } from '../../bot/http/csv';

describe('CSV cells', () => {
  it('leaves plain text and numbers as they are, and empty for null', () => {
    expect(csvRecord(['conversation.read', 42, null, undefined, 'school-nursing'])).to.equal('conversation.read,42,,,school-nursing\r\n');
  });

  it('quotes a cell with a comma, a quote or a line break, doubling the quotes', () => {
    expect(csvCell('a,b')).to.equal('"a,b"');
    expect(csvCell('say "hi"')).to.equal('"say ""hi"""');
    expect(csvCell('two\nlines')).to.equal('"two\nlines"');
    expect(csvCell('two\r\nlines')).to.equal('"two\r\nlines"');
  });

  it('defuses a cell a spreadsheet would run as a formula, with a leading apostrophe', () => {
    for (const formula of ['=1+2', '+1', '-1', '@SUM(A1)', '\t=1', '\r=1']) expect(csvCell(formula).replace(/^"/, '')).to.match(/^'/, JSON.stringify(formula));
    expect(csvCell('=HYPERLINK("http://evil.example")')).to.equal('"\'=HYPERLINK(""http://evil.example"")"');
    expect(csvCell('a=b')).to.equal('a=b');
  });
});
