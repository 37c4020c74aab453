// Logs carry ids, never personal data: a borrower record passed to the logger by mistake is censored.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logLevel } from '../../observability/logger';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger(stream) };
}

describe('logger', () => {
  it('censors names, emails, phones, addresses and message text, top level or one object down, and keeps ids', () => {
    const { lines, logger } = capture();
    const borrower = { name: 'Li Wei', email: 'li@example.com', phone: '+8613800138000', address: '1 Road', loanId: 'L-1' };
    logger.info({ ...borrower, borrower, message: { to: 'li@example.com', text: 'Dear Li Wei', caseId: 'C-1' } }, 'contact sent');
    const line = JSON.stringify(lines[0]);
    for (const secret of ['Li Wei', 'li@example.com', '+8613800138000', '1 Road']) expect(line).not.toContain(secret);
    expect(lines[0]).toMatchObject({ loanId: 'L-1', borrower: { loanId: 'L-1', email: '[redacted]' }, message: { caseId: 'C-1', to: '[redacted]' }, msg: 'contact sent' });
  });

  it('reads LOG_LEVEL, defaulting to info, and names the variable when it is wrong', () => {
    expect(logLevel({})).toBe('info');
    expect(logLevel({ LOG_LEVEL: 'WARN' })).toBe('warn');
    expect(() => logLevel({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL must be one of .* \(got "loud"\)/);
  });
});
