// Field visits (issue #17) end to end: a strategy whose call stage visits after an unanswered call; the
// workflow announces the visit (visit-notice message), queues a `visit` task with the window the rules
// allow, and takes its outcome like a call's. Visit tasks pass the same gate as calls, with each pack's
// visit rules: under cn a workplace visit or an unannounced one is born cancelled, and a visit is handed
// out only in the borrower's daytime. The compliance report re-checks visits. Own database (claims).
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimTask, submitCallOutcome, type OperationDeps, type Principal } from '../../../api/operations';
import { openCase } from '../../../db/repository/cases';
import { saveStrategy } from '../../../db/repository/strategies';
import { claimNextTask, enqueueTask } from '../../../db/repository/tasks';
import { workbenchQueue } from '../../../db/repository/workbench';
import { collectorTasks, contactAttempts } from '../../../db/schema';
import { getState, workflowIdForLoan } from '../../../contracts/messages';
import { findDefaultStrategy } from '../../../domain/strategy/defaults';
import { auditContacts } from '../../../scripts/lib/compliance-audit';
import { startHarness, waitForState, type Harness } from '../../support/harness';
import { patientStrategy } from '../../support/patient-strategy';

const STRATEGY = 'visits-test';
const CN = 'visits-cn';

let h: Harness;
let deps: OperationDeps;

beforeAll(async () => {
  h = await startHarness('visits', { strategyId: STRATEGY, ownDatabase: true });
  const doc = patientStrategy(STRATEGY) as { paths: Record<string, Array<Record<string, unknown>>> };
  const call = doc.paths.late!.find((s) => s.kind === 'call')!;
  Object.assign(call, { attempts: 3, retryAfter: 'PT1S', visit: { afterUnansweredCalls: 1, minPastDueMinor: 1, notice: { channel: 'sms', template: 'visit-notice' }, outcomeTimeout: 'PT10M' } });
  await saveStrategy(h.db, { id: STRATEGY, version: 1, document: doc });
  const cn = structuredClone(findDefaultStrategy('cn-consumer')!) as unknown as Record<string, unknown>;
  Object.assign(cn, { id: CN, version: 1 });
  await saveStrategy(h.db, { id: CN, version: 1, document: cn });
  deps = { db: h.db, client: h.client, taskQueue: h.queues.collections };
}, 120_000);
afterAll(async () => {
  await h?.close();
});

const collector = (id: string): Principal => ({ keyId: `key-${id}`, role: 'collector', collectorId: id });

async function taskOf(loanId: string, kind: string, status = 'queued') {
  return waitForState(
    async () => (await h.db.select().from(collectorTasks).where(and(eq(collectorTasks.loanId, loanId), eq(collectorTasks.kind, kind), eq(collectorTasks.status, status as 'queued'))))[0],
    (t) => t !== undefined,
    { what: `a ${status} ${kind} task on ${loanId}` },
  );
}

describe('field visits', () => {
  it('after an unanswered call the workflow announces a visit, queues it with its window, and takes its outcome like a call’s', async () => {
    const loan = await h.seedLoan({ dpd: 100 });
    await h.startCollection(loan.loanId);
    await taskOf(loan.loanId, 'call');
    const me = collector('field-1');
    expect((await claimTask(deps, me))?.loanId).toBe(loan.loanId);
    await submitCallOutcome(deps, loan.loanId, 'no_answer', me);

    // The announcement goes out first, then the visit task is queued with its facts and window.
    const visit = (await taskOf(loan.loanId, "visit"))!;
    const [notice] = await h.db.select().from(contactAttempts).where(and(eq(contactAttempts.loanId, loan.loanId), eq(contactAttempts.template, 'visit-notice')));
    expect(notice).toMatchObject({ channel: 'sms', status: 'sent' });
    const facts = (visit.payload as { visit: { place: string; announcedAt: string; window: { from: string; until: string } } }).visit;
    expect(facts.place).toBe('home');
    expect(Date.parse(facts.announcedAt)).toBeGreaterThanOrEqual(notice!.sentAt!.getTime() - 1000);
    expect(Date.parse(facts.window.until)).toBeGreaterThan(Date.parse(facts.window.from));
    const handle = h.client.workflow.getHandle(workflowIdForLoan(loan.loanId));
    await waitForState(() => handle.query(getState), (s) => s.waitingFor === 'outcome of the field visit', { what: 'the workflow waiting for the visit' });

    // The workbench queue of the case's collector lists the visit (the rules allow it now).
    expect((await workbenchQueue(h.db, 'field-1')).map((i) => [i.task.id, i.task.kind])).toEqual([[visit.id, 'visit']]);
    // The call-only claim of the JSON API does not hand out visits; a claim of visits does.
    expect(await claimTask(deps, me)).toBeNull();
    const claimed = await claimNextTask(h.db, 'field-1', 60_000, { kinds: ['visit'] });
    expect(claimed?.id).toBe(visit.id);
    await submitCallOutcome(deps, loan.loanId, 'right_party_contact', me);
    await waitForState(() => handle.query(getState), (s) => s.stage === 'negotiation', { what: 'negotiation after the visit' });
    const [done] = await h.db.select().from(collectorTasks).where(eq(collectorTasks.id, visit.id));
    expect(done).toMatchObject({ status: 'done', outcome: 'right_party_contact' });
    expect((await handle.query(getState)).contacts.byChannel.visit).toBe(1);

    // The replay test runs this history through later workflow code (RECORD_HISTORIES=1 re-records it).
    expect(await h.keepHistory(handle, 'field-visit')).toBeGreaterThan(0);

    const audit = await auditContacts(h.db, { loanId: loan.loanId });
    expect(audit.violations).toEqual([]);
    expect(audit.checked).toBeGreaterThanOrEqual(3); // the call, the notice, the visit
  });

  it('under cn a workplace visit and an unannounced one are born cancelled with their rules; an announced home visit waits for daytime', async () => {
    const loan = await h.seedLoan({ dpd: 100, timeZone: 'Asia/Shanghai' });
    const { case: row } = await openCase(h.db, { loanId: loan.loanId, strategyId: CN, strategyVersion: 1, stage: 'call', actor: 'test' });
    const announcedAt = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const queue = (key: string, visit: Record<string, unknown>) =>
      enqueueTask(h.db, { idempotencyKey: `${row.id}/${key}`, caseId: row.id, loanId: loan.loanId, kind: 'visit', collectorId: 'field-cn', payload: { attempt: 1, visit } });

    const workplace = await queue('workplace', { place: 'workplace', announcedAt });
    expect(workplace.task).toMatchObject({ status: 'cancelled', cancelledRule: 'cn.visit-workplace' });
    const unannounced = await queue('unannounced', { place: 'home' });
    expect(unannounced.task).toMatchObject({ status: 'cancelled', cancelledRule: 'cn.visit-notice' });
    const home = await queue('home', { place: 'home', announcedAt });
    expect(home.task.status).toBe('queued');

    // 20:00 in Shanghai: inside the contact hours (08-22) but after the daytime window for visits.
    const evening = new Date(Date.UTC(2030, 0, 15, 12, 0));
    const morning = new Date(Date.UTC(2030, 0, 15, 2, 0)); // 10:00 in Shanghai
    expect(await claimNextTask(h.db, 'field-cn', 60_000, { kinds: ['visit'], now: evening })).toBeNull();
    expect((await claimNextTask(h.db, 'field-cn', 60_000, { kinds: ['visit'], now: morning }))?.id).toBe(home.task.id);
  });

  it('the compliance report flags a visit made at the workplace or outside the daytime window', async () => {
    const loan = await h.seedLoan({ dpd: 100, timeZone: 'Asia/Shanghai' });
    const { case: row } = await openCase(h.db, { loanId: loan.loanId, strategyId: CN, strategyVersion: 1, stage: 'call', actor: 'test', openedAt: new Date(Date.now() - 3 * 86_400_000) });
    const day = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    const announcedAt = new Date(Date.now() - 3 * 86_400_000 + 60_000).toISOString();
    // Two visits recorded as done (as a collector's outcome would mark them): 10:00 Shanghai at the
    // workplace, and 19:30 Shanghai at home the day after (after daytime, and the second in a week).
    const done = (key: string, at: string, place: string) =>
      h.db.insert(collectorTasks).values({
        idempotencyKey: `${row.id}/${key}`, caseId: row.id, loanId: loan.loanId, kind: 'visit', status: 'done', claimedBy: 'field-cn',
        outcome: 'right_party_contact', completedAt: new Date(at), payload: { attempt: 1, visit: { place, announcedAt } },
      });
    await done('at-work', `${day}T02:00:00Z`, 'workplace');
    const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    await done('evening', `${next}T11:30:00Z`, 'home');
    const audit = await auditContacts(h.db, { loanId: loan.loanId });
    expect(audit.violations.map((v) => [v.channel, v.rule])).toEqual([
      ['visit', 'cn.visit-workplace'],
      ['visit', 'cn.visit-weekly'],
    ]);
    expect(audit.violations[1]!.detail).toContain('cn.visit-daytime');
  });
});
