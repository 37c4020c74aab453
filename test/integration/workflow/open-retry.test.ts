// The case open's answer is lost after its transaction committed (a worker crash, a start-to-close
// timeout), and before Temporal's retry a payment cures the loan, closing the case this run opened in the
// payment's own transaction (contract 7). The retry must answer with that case, closed: the run ends
// cured, sends nothing, and the loan keeps one case (not a second one left open on a cured loan).
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { recordPayment } from '../../../db/repository/ledger';
import { collectionCases, contactAttempts } from '../../../db/schema';
import { startHarness, type Harness } from '../../support/harness';

/**
 * Loans whose first openCase attempt commits, sees the loan cured, and then loses its answer; `signal`:
 * the payment's signal reaches the run (else the API lost it after the ledger write).
 */
const loseFirstAnswer = new Map<string, { payMinor: number; signal: boolean }>();

let h: Harness;
beforeAll(async () => {
  h = await startHarness('open-retry', {
    wrapCaseActivities: (activities) => ({
      ...activities,
      async openCase(input) {
        const facts = await activities.openCase(input);
        const lose = loseFirstAnswer.get(input.loanId);
        if (lose && Context.current().info.attempt === 1) {
          // Ledger first, then the signal, as the API does; the workflow is still waiting for this open.
          if (lose.signal) await h.pay(input.loanId, lose.payMinor);
          else await recordPayment(h.db, { paymentId: `pay-${randomUUID()}`, loanId: input.loanId, amountMinor: lose.payMinor, currency: 'CNY', receivedAt: new Date() });
          throw new Error('the worker lost the answer of a committed case open');
        }
        return facts;
      },
    }),
  });
});
afterAll(async () => {
  await h?.close();
});

it.each([
  { signal: true, what: "and the payment's signal says so" },
  { signal: false, what: 'from its facts alone when the signal was lost' },
])("a retried case open after a payment closed the run's case ends the run cured, with one case and no contact, $what", { timeout: 60_000 }, async ({ signal }) => {
  const loan = await h.seedLoan({ dpd: 3 });
  loseFirstAnswer.set(loan.loanId, { payMinor: loan.pastDueMinor, signal });
  const handle = await h.startCollection(loan.loanId);

  const result = await handle.result();
  expect(result).toMatchObject({ outcome: 'cured', pastDueMinor: 0, contactsSent: 0 });
  const rows = await h.db.select().from(collectionCases).where(eq(collectionCases.loanId, loan.loanId));
  expect(rows.map((r) => ({ id: r.id, outcome: r.outcome, closed: r.closedAt !== null }))).toEqual([{ id: result.caseId, outcome: 'cured', closed: true }]);
  expect(await h.db.select().from(contactAttempts).where(eq(contactAttempts.loanId, loan.loanId))).toEqual([]);
  // The open was answered by its retry (else this test proved nothing).
  const events = (await handle.fetchHistory()).events ?? [];
  expect(events.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt)[0]).toBe(2);
});
