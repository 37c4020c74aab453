// A borrower and a loan with one instalment `dpd` days past due and two not yet due, written straight
// to the database: for tests that run Overdue's worker as a process and so have no harness.
import type { Database } from '../../db/client';
import { upsertBorrower } from '../../db/repository/borrowers';
import { upsertLoan } from '../../db/repository/ledger';

const day = 24 * 3600 * 1000;

export async function seedOverdueLoan(db: Database, loanId: string, { dpd = 5, installmentMinor = 50_000 } = {}): Promise<void> {
  const borrowerId = `b-${loanId}`;
  await upsertBorrower(db, { id: borrowerId, externalRef: `ext-${borrowerId}`, name: 'Test Borrower', email: `${borrowerId}@example.com`, phone: '+8613800138000', timeZone: 'Asia/Shanghai', locale: 'zh-CN' });
  const due = (offsetDays: number) => new Date(Date.now() + offsetDays * day).toISOString().slice(0, 10);
  await upsertLoan(db, {
    id: loanId,
    borrowerId,
    product: 'consumer-loan',
    currency: 'CNY',
    principalMinor: 3 * installmentMinor,
    openedAt: new Date(Date.now() - (dpd + 60) * day),
    installments: [
      { seq: 1, dueDate: due(-dpd), amountDueMinor: installmentMinor },
      { seq: 2, dueDate: due(30), amountDueMinor: installmentMinor },
      { seq: 3, dueDate: due(60), amountDueMinor: installmentMinor },
    ],
  });
}
