// The lifecycle rule on its own: every closing outcome, with and without a reopen request, against every
// shape of instalments that matters (none past due, past due before the close, on its day, after it).
import { describe, expect, it } from 'vitest';
import {
  BARRED_OUTCOMES,
  closedCaseAllowsNewCase,
  endsCollection,
  explainRefusal,
  isTerminal,
  lapseSince,
  mayOpenNewCase,
  TERMINAL_OUTCOMES,
  type LifecycleInstallment,
  type NewCaseQuestion,
} from '../../domain/lifecycle';
import { OUTCOMES, type Outcome } from '../../domain/vocabulary';

const asOf = '2025-06-30';
const closedAt = '2025-05-10T15:30:00Z';
const unpaid = (dueDate: string): LifecycleInstallment => ({ dueDate, amountDueMinor: 10_000, amountPaidMinor: 0 });
const partly = (dueDate: string): LifecycleInstallment => ({ dueDate, amountDueMinor: 10_000, amountPaidMinor: 9_999 });
const paid = (dueDate: string): LifecycleInstallment => ({ dueDate, amountDueMinor: 10_000, amountPaidMinor: 10_000 });
const clean = { bankruptcy: false, deceased: false };

/** The instalment shapes that decide: by where the (only) unpaid instalment falls relative to the close and asOf. */
const SCHEDULES: Record<string, LifecycleInstallment[]> = {
  'nothing unpaid': [paid('2025-04-01'), paid('2025-05-01'), paid('2025-06-01')],
  'unpaid but not yet due': [paid('2025-04-01'), unpaid('2025-06-30'), unpaid('2025-07-30')],
  'past due before the close': [unpaid('2025-04-01'), paid('2025-06-01')],
  'partly paid, past due before the close': [partly('2025-05-09')],
  'past due, due on the day of the close': [paid('2025-04-01'), unpaid('2025-05-10')],
  'past due, due after the close': [paid('2025-04-01'), paid('2025-05-01'), unpaid('2025-06-01')],
  'partly paid, due after the close': [paid('2025-05-01'), partly('2025-06-01')],
  'past due both before and after the close': [unpaid('2025-04-01'), unpaid('2025-06-01')],
};
const anythingPastDue = (schedule: string) => !['nothing unpaid', 'unpaid but not yet due'].includes(schedule);
const lapsedAfterClose = (schedule: string) =>
  ['past due, due on the day of the close', 'past due, due after the close', 'partly paid, due after the close', 'past due both before and after the close'].includes(schedule);

const ask = (q: Partial<NewCaseQuestion>) => mayOpenNewCase({ asOf, lastClosedCase: null, installments: [], borrower: clean, ...q });

describe('the collection lifecycle rule', () => {
  it('names exactly seven terminal outcomes, two of them barred, and cured and paid are not terminal', () => {
    expect([...TERMINAL_OUTCOMES].sort()).toEqual(
      ['cancelled', 'dispute_upheld', 'handed_to_legal', 'settled', 'stopped_bankruptcy', 'stopped_deceased', 'written_off'],
    );
    expect([...BARRED_OUTCOMES].sort()).toEqual(['stopped_bankruptcy', 'stopped_deceased']);
    expect(OUTCOMES.filter((o) => !isTerminal(o)).sort()).toEqual(['cured', 'paid']);
  });

  it('opens a first case exactly when something is past due', () => {
    for (const [name, installments] of Object.entries(SCHEDULES)) {
      const decision = ask({ installments });
      if (anythingPastDue(name)) expect(decision, name).toEqual({ allowed: true, because: 'first_case' });
      else expect(decision, name).toEqual({ allowed: false, because: 'nothing_past_due', reopenable: false });
    }
  });

  // Every outcome × every schedule × with and without a reopen request, against the table in the README.
  for (const outcome of OUTCOMES) {
    for (const reopen of [false, true]) {
      it(`after ${outcome}${reopen ? ', with a reopen request,' : ''} decides as the README's table says`, () => {
        for (const [name, installments] of Object.entries(SCHEDULES)) {
          const decision = ask({ lastClosedCase: { outcome, closedAt }, installments, reopen });
          const label = `${outcome} / ${name} / reopen ${reopen}`;
          if ((BARRED_OUTCOMES as readonly Outcome[]).includes(outcome)) {
            expect(decision, label).toEqual({ allowed: false, because: 'barred', outcome, reopenable: false });
          } else if (isTerminal(outcome) && !reopen) {
            expect(decision, label).toEqual({ allowed: false, because: 'terminal', outcome, reopenable: true });
          } else if (!anythingPastDue(name)) {
            expect(decision, label).toEqual({ allowed: false, because: 'nothing_past_due', outcome, reopenable: false });
          } else if (isTerminal(outcome)) {
            expect(decision, label).toEqual({ allowed: true, because: 'reopened' });
          } else if (lapsedAfterClose(name)) {
            expect(decision, label).toEqual({ allowed: true, because: 'lapsed' });
          } else {
            expect(decision, label).toEqual({ allowed: false, because: 'no_new_lapse', outcome, reopenable: false });
          }
        }
      });
    }
  }

  // A discounted plan forgave the arrears, not the loan: its `settled` decides like a cure; a lender's does not.
  for (const reopen of [false, true]) {
    it(`after settled by a discounted plan${reopen ? ', with a reopen request,' : ''} decides as after a cure`, () => {
      for (const [name, installments] of Object.entries(SCHEDULES)) {
        const label = `${name} / reopen ${reopen}`;
        const byPlan = ask({ lastClosedCase: { outcome: 'settled', closedAt, settledByPlan: true }, installments, reopen });
        const cured = ask({ lastClosedCase: { outcome: 'cured', closedAt }, installments, reopen });
        expect(byPlan, label).toEqual(cured.allowed ? cured : { ...cured, outcome: 'settled' });
      }
      expect(ask({ lastClosedCase: { outcome: 'settled', closedAt, settledByPlan: true }, installments: SCHEDULES['past due, due after the close'], reopen })).toEqual({
        allowed: true,
        because: 'lapsed',
      });
      expect(ask({ lastClosedCase: { outcome: 'settled', closedAt, settledByPlan: true }, installments: SCHEDULES['past due before the close'], reopen })).toEqual({
        allowed: false,
        because: 'no_new_lapse',
        outcome: 'settled',
        reopenable: false,
      });
    });
  }

  it('keeps a lender\'s settlement terminal, and reads the plan mark on no other outcome', () => {
    for (const [name, installments] of Object.entries(SCHEDULES)) {
      for (const settledByPlan of [undefined, false]) {
        const decision = ask({ lastClosedCase: { outcome: 'settled', closedAt, ...(settledByPlan === undefined ? {} : { settledByPlan }) }, installments });
        expect(decision, name).toEqual({ allowed: false, because: 'terminal', outcome: 'settled', reopenable: true });
      }
    }
    for (const outcome of OUTCOMES) {
      expect(endsCollection({ outcome, settledByPlan: true }), outcome).toBe(outcome !== 'settled' && isTerminal(outcome));
      expect(endsCollection({ outcome }), outcome).toBe(isTerminal(outcome));
    }
  });

  it('refuses a bankrupt or deceased borrower whatever the history, even with a reopen request', () => {
    for (const borrower of [{ bankruptcy: true, deceased: false }, { bankruptcy: false, deceased: true }]) {
      for (const last of [null, ...OUTCOMES.map((outcome) => ({ outcome, closedAt }))]) {
        for (const reopen of [false, true]) {
          const decision = ask({ borrower, lastClosedCase: last, installments: SCHEDULES['past due, due after the close'], reopen });
          expect(decision).toMatchObject({ allowed: false, because: 'barred', reopenable: false });
        }
      }
    }
  });

  it('counts a new lapse from the UTC day of the cure, whatever the hour', () => {
    expect(lapseSince('2025-05-10T00:00:00Z')).toBe('2025-05-10');
    expect(lapseSince(new Date('2025-05-10T23:59:59.999Z'))).toBe('2025-05-10');
    const cured = (at: string) => ({ outcome: 'cured' as const, closedAt: at });
    // Due on the 9th: it was late by the 10th, so a cure on the 10th covered it.
    expect(ask({ lastClosedCase: cured('2025-05-10T00:00:00Z'), installments: [unpaid('2025-05-09')] }).allowed).toBe(false);
    // Due on the 10th: not late until the 11th, so it lapsed after a cure on the 10th.
    expect(ask({ lastClosedCase: cured('2025-05-10T23:59:59Z'), installments: [unpaid('2025-05-10')] }).allowed).toBe(true);
    // ... but only once it is past due: on the 10th itself nothing is late.
    expect(ask({ asOf: '2025-05-10', lastClosedCase: cured('2025-05-10T01:00:00Z'), installments: [unpaid('2025-05-10')] })).toMatchObject({
      allowed: false,
      because: 'nothing_past_due',
    });
    expect(ask({ asOf: '2025-05-11', lastClosedCase: cured('2025-05-10T01:00:00Z'), installments: [unpaid('2025-05-10')] })).toEqual({
      allowed: true,
      because: 'lapsed',
    });
  });

  it('lets the database open a new case only after a non-terminal outcome or a plan\'s settlement, or a terminal one reopened by request', () => {
    for (const outcome of OUTCOMES) {
      const barred = (BARRED_OUTCOMES as readonly Outcome[]).includes(outcome);
      expect(closedCaseAllowsNewCase({ outcome }, { reopenRequested: false }), outcome).toBe(!isTerminal(outcome));
      expect(closedCaseAllowsNewCase({ outcome }, { reopenRequested: true }), outcome).toBe(!barred);
    }
    expect(closedCaseAllowsNewCase({ outcome: 'settled', settledByPlan: true }, { reopenRequested: false })).toBe(true);
    expect(closedCaseAllowsNewCase({ outcome: 'settled', settledByPlan: false }, { reopenRequested: false })).toBe(false);
  });

  it('explains each refusal with the outcome and what to do', () => {
    expect(explainRefusal('L1', { allowed: false, because: 'terminal', outcome: 'written_off', reopenable: true }, closedAt)).toMatch(
      /L1.*written_off on 2025-05-10.*--reopen-reason/,
    );
    expect(explainRefusal('L1', { allowed: false, because: 'barred', outcome: 'stopped_bankruptcy', reopenable: false })).toMatch(
      /stopped_bankruptcy.*not even with a reason/,
    );
    expect(explainRefusal('L1', { allowed: false, because: 'barred', reopenable: false })).toMatch(/bankrupt or deceased/);
    expect(explainRefusal('L1', { allowed: false, because: 'no_new_lapse', outcome: 'cured', reopenable: false }, closedAt)).toMatch(
      /cured on 2025-05-10.*starts again when one is/,
    );
    expect(explainRefusal('L1', { allowed: false, because: 'no_new_lapse', outcome: 'settled', reopenable: false }, closedAt)).toMatch(
      /settled by a discounted plan on 2025-05-10.*starts again when one is/,
    );
    expect(explainRefusal('L1', { allowed: false, because: 'nothing_past_due', reopenable: false })).toMatch(/no instalment past due/);
  });
});
