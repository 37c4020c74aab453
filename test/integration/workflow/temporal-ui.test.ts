// What an operator sees of a case in the Temporal UI: the search attributes the saved view shows and
// filters on, the current details (why contact is paused, at most four lines), and the result's money.
// On the real Temporal dev server, reading what the UI reads (describe, the metadata query, the result).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveStrategy } from '../../../db/repository/strategies';
import { findDefaultStrategy } from '../../../domain/strategy/defaults';
import type { ReminderStage } from '../../../domain/strategy/types';
import * as m from '../../../contracts/messages';
import * as sa from '../../../contracts/search-attributes';
import { startHarness, waitForState, type Harness } from '../../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('temporal-ui');
  // The fast-test ladder with its first reminder an hour out: the run waits, and nothing moves on while
  // the test looks at it.
  const fastTest = findDefaultStrategy('fast-test')!;
  const ladder = structuredClone(fastTest.paths['full-ladder']!);
  (ladder[0] as ReminderStage).steps[0]!.after = 'PT1H';
  await saveStrategy(h.db, { id: 'fast-test-first-waits', version: 1, document: { ...fastTest, id: 'fast-test-first-waits', version: 1, paths: { ...fastTest.paths, 'full-ladder': ladder } } });
});
afterAll(async () => {
  await h?.close();
});

/** What the Temporal UI shows of a run: its search attributes and its current details. */
async function shown(loanId: string) {
  const handle = h.client.workflow.getHandle(m.workflowIdForLoan(loanId));
  const [description, metadata, state] = await Promise.all([
    handle.describe(),
    handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata'),
    handle.query(m.getState),
  ]);
  const attributes = description.typedSearchAttributes;
  return {
    state,
    paused: attributes.get(sa.Paused),
    nextActionAt: attributes.get(sa.NextActionAt),
    assignedCollector: attributes.get(sa.AssignedCollector),
    stage: attributes.get(sa.CollectionStage),
    details: (metadata.currentDetails ?? '').split('\n\n'),
  };
}

/** The README's saved view "Collections" and its call-queue variant, as typed into the UI's filter. */
const SAVED_VIEW = 'WorkflowType = "collection" AND ExecutionStatus = "Running"';
const UNASSIGNED = ' AND AssignedCollector IS NULL';

/** Whether the workflow list the query selects holds the loan's run (visibility lags a little: poll). */
async function listed(query: string, loanId: string): Promise<boolean> {
  for await (const run of h.client.workflow.list({ query: `${query} AND WorkflowId = "${m.workflowIdForLoan(loanId)}"` })) {
    if (run.workflowId === m.workflowIdForLoan(loanId)) return true;
  }
  return false;
}

describe('the collection workflow in the Temporal UI', () => {
  it('shows the next action, why contact is paused in four lines, no empty collector, and the result in money', async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    const handle = await h.startCollection(loan.loanId, { strategyId: 'fast-test-first-waits' });

    const waiting = await waitForState(() => shown(loan.loanId), (s) => s.state.nextAction !== undefined && s.nextActionAt !== undefined, {
      what: 'the wait for the first reminder',
    });
    expect(waiting.stage).toBe('reminder');
    expect(waiting.nextActionAt?.toISOString()).toBe(waiting.state.nextAction!.at);
    expect(waiting.paused).toBe(false);
    expect(waiting.assignedCollector).toBeUndefined();
    expect(waiting.details).toHaveLength(4);
    expect(waiting.details[3]).toMatch(/^\*\*Waiting for\*\* 1st reminder \(sms\) until \d{4}-\d{2}-\d{2}, \d{2}:\d{2}:\d{2} \(/);

    await waitForState(() => listed(SAVED_VIEW + UNASSIGNED, loan.loanId), (found) => found, { what: "the run in the README's saved view" });

    await handle.signal(m.pauseRequested, { reason: 'lender reviews the account', operator: 'op-ui' });
    const paused = await waitForState(() => shown(loan.loanId), (s) => s.paused === true, { what: 'the operator pause in the search attributes' });
    expect(paused.details[1]).toBe('**Stage** reminder — paused by operator: lender reviews the account');
    expect(paused.details.length).toBeLessThanOrEqual(4);

    await handle.signal(m.disputeOpened, { disputeId: `d-${loan.loanId}` });
    const disputed = await waitForState(() => shown(loan.loanId), (s) => s.details[1]!.includes('disputed'), { what: 'the dispute in the current details' });
    expect(disputed.details[1]).toBe('**Stage** reminder — disputed, paused by operator: lender reviews the account');
    expect(disputed.paused).toBe(true);

    await handle.signal(m.hardshipReported);
    const hardship = await waitForState(() => shown(loan.loanId), (s) => s.details[1]!.includes('hardship'), { what: 'the hardship pause in the current details' });
    expect(hardship.details[1]).toMatch(/^\*\*Stage\*\* reminder — disputed, hardship until \d{4}-\d{2}-\d{2}, \d{2}:\d{2}:\d{2}, paused by operator: lender reviews the account$/);
    expect(hardship.details.length).toBeLessThanOrEqual(4);

    await h.pay(loan.loanId, loan.pastDueMinor);
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'cured', pastDueMinor: 0, currency: 'CNY', pastDue: 'CN¥0.00' });
    expect(result.outstanding).toMatch(/^CN¥[\d,]+\.\d{2}$/);
    expect(Math.round(Number(result.outstanding!.replace(/[^\d.]/g, '')) * 100)).toBe(result.outstandingMinor);

    // Recorded (RECORD_HISTORIES=1) as test/histories/ui-paused-disputed-cured.json: the replay test then
    // guards the Paused and NextActionAt upserts that runs started after that patch issue.
    await h.keepHistory(handle, 'ui-paused-disputed-cured');
    const closed = await h.client.workflow.getHandle(m.workflowIdForLoan(loan.loanId)).describe();
    expect(closed.typedSearchAttributes.get(sa.Paused)).toBe(false);
    expect(closed.typedSearchAttributes.get(sa.NextActionAt)).toBeUndefined();
    expect(closed.typedSearchAttributes.get(sa.AssignedCollector)).toBeUndefined();
    expect(closed.typedSearchAttributes.get(sa.CollectionOutcome)).toBe('cured');
  });

  it("shows in the Stack Trace tab every level of Overdue's code the run waits in", async () => {
    const loan = await h.seedLoan({ dpd: 3 });
    const handle = await h.startCollection(loan.loanId, { strategyId: 'fast-test-first-waits' });
    await waitForState(() => shown(loan.loanId), (s) => s.state.nextAction !== undefined, { what: 'the wait for the first reminder' });

    // What the UI's Stack Trace tab asks the worker for. The sandbox keeps five frames per stack
    // (workflows/stack-frames.ts); each async function's promise has its own, so the wait's condition, the
    // reminder step waiting on it and the workflow's stage loop all show, by file and line.
    const trace = await handle.query<string>('__stack_trace');
    const source = readFileSync(fileURLToPath(new URL('../../../workflows/collection.ts', import.meta.url)), 'utf8').split('\n');
    const lineOf = (text: string) => source.findIndex((line) => line.includes(text)) + 1;
    for (const text of ['await condition(() => isClosed(state) || done()', 'if ((await waitUntil(state, `${ordinal(index + 1)} reminder', 'const next = await stages[stage.kind]']) {
      expect(lineOf(text), text).toBeGreaterThan(0);
      expect(trace).toContain(`workflows/collection.ts:${lineOf(text)}:`);
    }

    await h.pay(loan.loanId, loan.pastDueMinor);
    expect((await handle.result()).outcome).toBe('cured');
  });
});
