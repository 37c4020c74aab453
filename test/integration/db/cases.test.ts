import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import type { DatabaseHandle } from '../../../db/client';
import { auditEvents, collectionCases } from '../../../db/schema';
import {
  closeCase,
  ConflictError,
  findDelinquentLoansWithoutOpenCase,
  openCase,
  recordPayment,
  updateCaseStage,
} from '../../../db/repository';
import { upsertBorrower } from '../../../db/repository/borrowers';
import { getLifecycleFacts, recordReopenRequest, CollectionEndedError, settleByPlanDiscount } from '../../../db/repository/cases';
import { mayOpenNewCase } from '../../../domain/lifecycle';
import { OUTCOMES, type Outcome } from '../../../domain/vocabulary';
import { connect, givenLoan, uniquePrefix } from './fixtures';

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await connect();
});
afterAll(async () => {
  await handle?.close();
});

const caseFor = (loanId: string) => ({ loanId, strategyId: 'default', strategyVersion: 1, segment: 'early' });

describe('collection cases', () => {
  it('opens one case when two openings for a loan race', async () => {
    const loanId = uniquePrefix('L');
    await givenLoan(handle, loanId, ['2025-01-15']);
    const results = await Promise.all(Array.from({ length: 6 }, () => openCase(handle.db, caseFor(loanId))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.case.id)).size).toBe(1);
    expect(results[0]!.case.workflowId).toBe(`collection-${loanId}`);
    const rows = await handle.db.select().from(collectionCases).where(eq(collectionCases.loanId, loanId));
    expect(rows).toHaveLength(1);
  });

  it('opens a new case once the previous one is closed, and the index still forbids two open ones', async () => {
    const loanId = uniquePrefix('L');
    await givenLoan(handle, loanId, ['2025-01-15']);
    const first = await openCase(handle.db, caseFor(loanId));
    await updateCaseStage(handle.db, first.case.id, 'call');
    const closed = await closeCase(handle.db, first.case.id, 'cured');
    expect(closed).toMatchObject({ outcome: 'cured', stage: 'call' });
    expect(await closeCase(handle.db, first.case.id, 'cured')).toEqual(closed);
    await expect(closeCase(handle.db, first.case.id, 'paid')).rejects.toBeInstanceOf(ConflictError);
    await expect(updateCaseStage(handle.db, first.case.id, 'legal')).rejects.toBeInstanceOf(ConflictError);

    const second = await openCase(handle.db, caseFor(loanId));
    expect(second.created).toBe(true);
    expect(second.case.id).not.toBe(first.case.id);
    await expect(
      handle.db.insert(collectionCases).values({ loanId, workflowId: `collection-${loanId}`, strategyId: 'x', strategyVersion: 1 }),
    ).rejects.toThrow();
  });

  it("a retried open by the same run finds that run's case, even when a payment closed it meanwhile", async () => {
    // The open committed but its answer was lost (a worker crash, a timeout) and Temporal retries it; a
    // payment that cured the loan closed the case in between. The retry must not open a second case.
    const loanId = uniquePrefix('L');
    // One instalment past due and one not yet: the payment cures the loan (closes the case cured), not pays it off.
    await givenLoan(handle, loanId, ['2025-01-15', `${new Date().getUTCFullYear() + 1}-01-15`]);
    const run = { ...caseFor(loanId), runId: `${loanId}-run-1` };
    const first = await openCase(handle.db, run);
    expect(first.created).toBe(true);
    const paid = await recordPayment(handle.db, { paymentId: `${loanId}-P`, loanId, amountMinor: 10_000, currency: 'USD', receivedAt: new Date() });
    expect(paid.closedAs).toBe('cured');

    const retried = await openCase(handle.db, run);
    expect(retried).toMatchObject({ created: false, case: { id: first.case.id, outcome: 'cured' } });
    const rows = await handle.db.select().from(collectionCases).where(eq(collectionCases.loanId, loanId));
    expect(rows.map((r) => ({ id: r.id, outcome: r.outcome }))).toEqual([{ id: first.case.id, outcome: 'cured' }]);
    // Another run is not that run: it opens a case of its own, as any start after a cure does.
    const next = await openCase(handle.db, { ...run, runId: `${loanId}-run-2` });
    expect(next.created).toBe(true);
    expect(next.case.id).not.toBe(first.case.id);
  });
});

describe('delinquency sweep', () => {
  it('returns exactly the delinquent loans without an open case, page by page in loan id order', async () => {
    const p = uniquePrefix('S');
    const asOf = '2025-03-20';
    // current: nothing due before asOf
    await givenLoan(handle, `${p}-a-current`, ['2025-03-20', '2025-04-20']);
    // overdue
    await givenLoan(handle, `${p}-b-overdue`, ['2025-03-19', '2025-04-19']);
    // overdue, several missed instalments
    await givenLoan(handle, `${p}-c-overdue`, ['2025-01-10', '2025-02-10', '2025-03-10']);
    // overdue but already has an open case
    await givenLoan(handle, `${p}-d-with-case`, ['2025-01-10']);
    await openCase(handle.db, caseFor(`${p}-d-with-case`));
    // overdue, closed case: found, and the lifecycle rule says whether it gets a new one
    await givenLoan(handle, `${p}-e-closed-case`, ['2025-02-01']);
    const old = await openCase(handle.db, caseFor(`${p}-e-closed-case`));
    await closeCase(handle.db, old.case.id, 'settled');
    // paid up
    await givenLoan(handle, `${p}-f-paid`, ['2025-02-01', '2025-05-01']);
    await recordPayment(handle.db, { paymentId: `${p}-f-P1`, loanId: `${p}-f-paid`, amountMinor: 10_000, currency: 'USD', receivedAt: new Date() });
    // partly paid: still overdue
    await givenLoan(handle, `${p}-g-partial`, ['2025-02-01']);
    await recordPayment(handle.db, { paymentId: `${p}-g-P1`, loanId: `${p}-g-partial`, amountMinor: 9_999, currency: 'USD', receivedAt: new Date() });

    const found: { loanId: string; oldestUnpaidDueDate: string }[] = [];
    let after: string = p; // every id of this test sorts after the bare prefix
    for (;;) {
      const page = await findDelinquentLoansWithoutOpenCase(handle.db, { asOf, afterLoanId: after, limit: 2 });
      const mine = page.filter((l) => l.loanId.startsWith(`${p}-`));
      found.push(...mine);
      if (page.length < 2 || mine.length < page.length) break;
      after = page[page.length - 1]!.loanId;
    }
    expect(found).toEqual([
      { loanId: `${p}-b-overdue`, oldestUnpaidDueDate: '2025-03-19', skip: null },
      { loanId: `${p}-c-overdue`, oldestUnpaidDueDate: '2025-01-10', skip: null },
      { loanId: `${p}-e-closed-case`, oldestUnpaidDueDate: '2025-02-01', skip: { because: 'terminal', outcome: 'settled' } },
      { loanId: `${p}-g-partial`, oldestUnpaidDueDate: '2025-02-01', skip: null },
    ]);
  });
});

describe('the collection lifecycle in the database', () => {
  const asOf = '2025-06-30';
  const closedAt = new Date('2025-05-10T15:30:00Z');

  async function loanClosedAs(loanId: string, dueDates: string[], outcome: Outcome | null, paidMinor = 0) {
    await givenLoan(handle, loanId, dueDates);
    if (paidMinor) await recordPayment(handle.db, { paymentId: `${loanId}-P`, loanId, amountMinor: paidMinor, currency: 'USD', receivedAt: closedAt });
    if (outcome) {
      const opened = await openCase(handle.db, { ...caseFor(loanId), openedAt: new Date('2025-04-01T00:00:00Z') });
      await closeCase(handle.db, opened.case.id, outcome, { closedAt });
    }
  }

  /**
   * A case settled by a completed discounted plan: half the first instalment paid, the other half written
   * down as of `writtenDownOn` (which settles the case), the close at `closedAt`. With `lender`, the
   * write-down leaves the second instalment past due, so the case stays open until the lender settles it.
   */
  async function loanSettledByPlan(loanId: string, dueDates: string[], { writtenDownOn = '2025-04-15', lender = false } = {}) {
    await givenLoan(handle, loanId, dueDates);
    await recordPayment(handle.db, { paymentId: `${loanId}-P`, loanId, amountMinor: 5_000, currency: 'USD', receivedAt: new Date('2025-04-10T00:00:00Z') });
    const opened = await openCase(handle.db, { ...caseFor(loanId), openedAt: new Date('2025-04-02T00:00:00Z') });
    const writeDown = { idempotencyKey: `${loanId}/discount`, loanId, caseId: opened.case.id, amountMinor: 5_000, currency: 'USD', actor: 'test', asOf: writtenDownOn };
    if (!lender) {
      expect(await settleByPlanDiscount(handle.db, { ...writeDown, closedAt })).toMatchObject({ writtenDownMinor: 5_000, closed: true });
      return opened.case.id;
    }
    expect(await settleByPlanDiscount(handle.db, writeDown)).toMatchObject({ writtenDownMinor: 5_000, closed: false });
    await closeCase(handle.db, opened.case.id, 'settled', { closedAt });
    return opened.case.id;
  }

  it('gives the sweep the same verdict as the pure rule, for every outcome and lapse', async () => {
    const p = uniquePrefix('LC');
    const loans: string[] = [];
    for (const outcome of [null, ...OUTCOMES]) {
      const shapes: Array<[string, string[], number]> = [
        ['before', ['2025-04-01', '2025-05-01'], 10_000], // second instalment, due before the close, unpaid
        ['sameday', ['2025-04-01', '2025-05-10'], 10_000], // due on the close's day: a new lapse
        ['after', ['2025-04-01', '2025-06-01'], 10_000], // due after the close: a new lapse
      ];
      for (const [shape, dueDates, paid] of shapes) {
        const loanId = `${p}-${outcome ?? 'none'}-${shape}`;
        await loanClosedAs(loanId, dueDates, outcome, paid);
        loans.push(loanId);
      }
    }
    // Settled by a discounted plan (the first instalment written down before the close): like a cure.
    // Settled by the lender after a plan's write-down that left something past due: terminal.
    const plan: Array<[string, string[], { lender?: boolean; writtenDownOn?: string }]> = [
      ['plan-before', ['2025-04-01', '2025-05-01'], {}], // second instalment, due before the close, unpaid
      ['plan-sameday', ['2025-04-01', '2025-05-10'], {}],
      ['plan-after', ['2025-04-01', '2025-06-01'], {}],
      ['lender-after-plan', ['2025-04-01', '2025-05-01', '2025-06-01'], { lender: true, writtenDownOn: '2025-05-05' }],
    ];
    for (const [shape, dueDates, options] of plan) {
      await loanSettledByPlan(`${p}-${shape}`, dueDates, options);
      loans.push(`${p}-${shape}`);
    }
    const flagged = `${p}-zz-flagged`;
    await loanClosedAs(flagged, ['2025-06-01'], 'cured');
    await upsertBorrower(handle.db, { id: `${flagged}-B`, externalRef: `${flagged}-B-ext`, name: 'Test Borrower', timeZone: 'UTC', locale: 'en', deceased: true });
    loans.push(flagged);

    const page = (await findDelinquentLoansWithoutOpenCase(handle.db, { asOf, afterLoanId: p, limit: 1000 })).filter((l) => l.loanId.startsWith(`${p}-`));
    expect(page.map((l) => l.loanId).sort()).toEqual([...loans].sort());
    for (const loan of page) {
      const decision = mayOpenNewCase({ asOf, ...(await getLifecycleFacts(handle.db, loan.loanId)) });
      expect({ loanId: loan.loanId, started: loan.skip === null }).toEqual({ loanId: loan.loanId, started: decision.allowed });
      if (!decision.allowed) expect(loan.skip, loan.loanId).toEqual({ because: decision.because, outcome: decision.outcome ?? null });
    }
    expect(page.find((l) => l.loanId === flagged)!.skip).toEqual({ because: 'barred', outcome: null });
    const skipOf = (shape: string) => page.find((l) => l.loanId === `${p}-${shape}`)!.skip;
    expect(skipOf('plan-before')).toEqual({ because: 'no_new_lapse', outcome: 'settled' });
    expect(skipOf('plan-sameday')).toBeNull();
    expect(skipOf('plan-after')).toBeNull();
    expect(skipOf('lender-after-plan')).toEqual({ because: 'terminal', outcome: 'settled' });
    expect(skipOf('settled-after')).toEqual({ because: 'terminal', outcome: 'settled' });
  });

  it('marks a plan\'s settlement on its close\'s audit event, and opens a new case after it without a reopen request', async () => {
    const p = uniquePrefix('LP');
    const caseId = await loanSettledByPlan(`${p}-plan`, ['2025-04-01', '2025-06-01']);
    const [closed] = await handle.db.select().from(auditEvents).where(and(eq(auditEvents.caseId, caseId), eq(auditEvents.action, 'case.closed')));
    expect(closed!.after).toMatchObject({ outcome: 'settled', settledBy: 'plan_discount' });
    expect((await getLifecycleFacts(handle.db, `${p}-plan`)).lastClosedCase).toMatchObject({ id: caseId, outcome: 'settled', settledByPlan: true });
    // A retry of the same settlement changes nothing, and the mark is written once.
    const again = await settleByPlanDiscount(handle.db, { idempotencyKey: `${p}-plan/discount`, loanId: `${p}-plan`, caseId, amountMinor: 5_000, currency: 'USD', actor: 'test', asOf: '2025-04-15' });
    expect(again).toMatchObject({ written: false, closed: true });
    expect(await handle.db.select().from(auditEvents).where(and(eq(auditEvents.caseId, caseId), eq(auditEvents.action, 'case.closed')))).toHaveLength(1);
    expect((await openCase(handle.db, caseFor(`${p}-plan`))).created).toBe(true);

    // The lender's settlement after a plan's write-down is the lender's: no new case without a reopen request.
    const lenderCase = await loanSettledByPlan(`${p}-lender`, ['2025-04-01', '2025-05-01', '2025-06-01'], { lender: true, writtenDownOn: '2025-05-05' });
    expect((await getLifecycleFacts(handle.db, `${p}-lender`)).lastClosedCase).toMatchObject({ id: lenderCase, outcome: 'settled', settledByPlan: false });
    await expect(openCase(handle.db, caseFor(`${p}-lender`))).rejects.toBeInstanceOf(CollectionEndedError);
    // Only a settlement carries the mark.
    const other = `${p}-cured`;
    await givenLoan(handle, other, ['2025-04-01']);
    const opened = await openCase(handle.db, caseFor(other));
    await expect(closeCase(handle.db, opened.case.id, 'cured', { settledBy: 'plan_discount' })).rejects.toThrow(/settledBy/);
  });

  it('opens no case after a terminal outcome until a reopen request for that case is audited, and never after bankruptcy', async () => {
    const p = uniquePrefix('LR');
    await loanClosedAs(`${p}-settled`, ['2025-06-01'], 'settled');
    await expect(openCase(handle.db, caseFor(`${p}-settled`))).rejects.toBeInstanceOf(CollectionEndedError);
    const { lastClosedCase } = await getLifecycleFacts(handle.db, `${p}-settled`);
    await recordReopenRequest(handle.db, { loanId: `${p}-settled`, closed: lastClosedCase!, reason: 'settlement bounced', actor: 'operator:ann' });
    const reopened = await openCase(handle.db, caseFor(`${p}-settled`));
    expect(reopened.created).toBe(true);
    // The request reopened that one case: once the new case ends terminally, the loan is closed again.
    await closeCase(handle.db, reopened.case.id, 'written_off');
    await expect(openCase(handle.db, caseFor(`${p}-settled`))).rejects.toThrow(/written_off/);

    await loanClosedAs(`${p}-bankrupt`, ['2025-06-01'], 'stopped_bankruptcy');
    const bankrupt = await getLifecycleFacts(handle.db, `${p}-bankrupt`);
    await recordReopenRequest(handle.db, { loanId: `${p}-bankrupt`, closed: bankrupt.lastClosedCase!, reason: 'the lender asks', actor: 'operator:ann' });
    await expect(openCase(handle.db, caseFor(`${p}-bankrupt`))).rejects.toThrow(/stopped_bankruptcy/);
  });
});
