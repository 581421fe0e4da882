import { expect } from 'chai';
import { createLogger } from '../../bot/logger';

describe('logs', () => {
  const capture = () => {
    const lines: string[] = [];
    return { lines, stream: { write: (line: string) => void lines.push(line) } };
  };

  it('when a log call carries a field named level (a risk or ladder level), then the line still has exactly one level key, the log level by name', () => {
    const { lines, stream } = capture();
    const log = createLogger('info', stream);
    log.warn({ event: 'message.risk', level: 'high', conversationId: 'c1' }, 'risk flagged');
    log.info({ event: 'plain' }, 'plain');
    expect(lines).to.have.length(2);
    for (const line of lines) expect(line.match(/"level":/g), line).to.have.length(1);
    expect(JSON.parse(lines[0])).to.include({ level: 'warn', fieldLevel: 'high', event: 'message.risk' });
    expect(JSON.parse(lines[1])).to.include({ level: 'info', event: 'plain' });
  });

  it('when a request object with a body or numbers reaches the logger, then they are redacted', () => {
    const { lines, stream } = capture();
    createLogger('info', stream).info({ event: 'x', message: { text: 'I took pills', from: '+447700900555' } });
    expect(lines[0]).not.to.contain('pills');
    expect(lines[0]).not.to.contain('+447700900555');
  });
});
