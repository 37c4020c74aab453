// Notices are not a loophole (issue #12): a final demand asks for payment, so a cease request stops it
// like any other collection message (Reg F 1006.6(c)); the case still reaches its legal hand-off.
// Real Temporal server, PostgreSQL, SMTP sink; the fast-test strategy's 'late' path (call, then legal).
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactAttempts } from '../../../db/schema';
import * as m from '../../../contracts/messages';
import { startHarness, type Harness } from '../../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('notices');
});
afterAll(async () => {
  await h?.close();
});

describe('final demands are collection', () => {
  it('after a cease request the final demand is recorded as blocked, not sent, and the case is handed to legal', async () => {
    const loan = await h.seedLoan({ dpd: 95 });
    const handle = await h.startWithSignal(loan.loanId, m.ceaseRequested, []);
    expect((await handle.result()).outcome).toBe('handed_to_legal');
    const demand = (await h.db.select().from(contactAttempts).where(eq(contactAttempts.loanId, loan.loanId))).filter((r) => r.template === 'final-demand');
    expect(demand.map((r) => [r.status, r.blockedRule])).toEqual([['blocked', 'common.cease']]);
    expect(h.smtp.messages.filter((mail) => (Array.isArray(mail.to) ? mail.to : [mail.to]).some((to) => to?.text.includes(loan.borrowerId)))).toHaveLength(0);
  });
});
