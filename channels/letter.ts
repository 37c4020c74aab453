// Letters go to a print-and-mail queue. Borrowers have no postal address in the database yet, so the
// queue receives the borrower id and the rendered letter; the print vendor holds the address.
import { logger } from '../observability/logger';
export interface Letter {
  idempotencyKey: string;
  borrowerId: string;
  loanId: string;
  locale: string;
  subject: string;
  text: string;
  html: string;
}

export interface LetterProvider {
  readonly name: string;
  send(letter: Letter): Promise<{ providerMessageId: string }>;
}

/** Local runs: logs that the letter was queued (ids only). */
export function createConsoleLetterQueue(log: (line: string) => void = (line) => logger.info({ component: 'letter' }, line)): LetterProvider {
  return {
    name: 'console',
    async send(letter) {
      log(`[letter] queued "${letter.subject}" for borrower ${letter.borrowerId}, loan ${letter.loanId} (${letter.locale})`);
      return { providerMessageId: `letter-${letter.idempotencyKey}` };
    },
  };
}
