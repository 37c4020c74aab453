// What only a borrower does for themselves on the self-service page (issue #16). Everything else the page
// offers (promise, plan, dispute, hardship, opt-out, complaint) calls the same operation as the JSON API.
import { createHash } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { appendAudit } from '../db/repository/audit';
import { checkInconvenientTimes } from '../db/repository/borrowers';
import { getOpenCase } from '../db/repository/cases';
import { contactContextOf, loadContactFacts } from '../db/repository/contact-facts';
import { enqueueTask } from '../db/repository/tasks';
import { ValidationError } from '../db/repository/errors';
import { borrowers, type InconvenientTimeRow } from '../db/schema';
import { nextAllowedContact } from '../domain/compliance';
import { ApiError } from './errors';
import { actorOf, requireLoan, type OperationDeps, type Principal } from './operations';

/** A short stable digest, for idempotency keys built from what the borrower typed (never the text itself). */
export const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/**
 * Adds a time the borrower says is inconvenient (Reg F 1006.6(b)(1): a collector may not call at a time
 * the consumer has said is inconvenient). The rules read it from the borrower row at every contact.
 */
export async function addInconvenientTime(deps: OperationDeps, loanId: string, time: InconvenientTimeRow, by: Principal) {
  const loan = await requireLoan(deps.db, loanId);
  checkInconvenientTimes([time]);
  if (time.from >= time.to) throw new ApiError('validation_error', `from must be earlier than to (got ${time.from}–${time.to})`, 'from');
  await deps.db.transaction(async (tx) => {
    const [row] = await tx.select({ times: borrowers.inconvenientTimes }).from(borrowers).where(eq(borrowers.id, loan.borrowerId)).for('update');
    const times = [...(row?.times ?? []), time];
    await tx.update(borrowers).set({ inconvenientTimes: times, updatedAt: sql`now()` }).where(eq(borrowers.id, loan.borrowerId));
    await appendAudit(tx, { actor: actorOf(by), action: 'borrower.inconvenient_time', loanId, after: time });
  });
  return { loanId, recorded: 'inconvenient_time' as const };
}

/**
 * A call-back request becomes a call task for the collectors, available at the first instant at or after
 * the requested one that the rules allow (contact hours, inconvenient times, caps, pauses). The task is
 * queued through enqueueTask, which judges it again under the loan's lock. Refused (422) when the rules
 * allow no call at all (a dispute, cease, opt-out of calls, bankruptcy) or no case is open.
 */
export async function requestCallback(deps: OperationDeps, loanId: string, requestedAt: string, by: Principal) {
  await requireLoan(deps.db, loanId);
  const at = Date.parse(requestedAt);
  if (Number.isNaN(at)) throw new ApiError('validation_error', `at must be a date and time (got ${JSON.stringify(requestedAt)})`, 'at');
  const open = await getOpenCase(deps.db, loanId);
  if (!open) throw new ApiError('validation_error', `loan ${loanId} has no open collection case; no call-back is needed`, 'at');
  const notBefore = new Date(Math.max(at, Date.now()));
  const facts = await loadContactFacts(deps.db, { loanId, caseId: open.id, at: notBefore });
  const next = nextAllowedContact(contactContextOf(facts, 'call', 'collection'), notBefore.toISOString());
  if (!('at' in next) || next.at === undefined) {
    throw new ApiError('validation_error', `the rules allow no call on loan ${loanId} (${'rule' in next ? next.rule : 'no allowed time'})`, 'at');
  }
  const { task, created } = await enqueueTask(deps.db, {
    idempotencyKey: `callback:${by.keyId}:${new Date(at).toISOString()}`,
    caseId: open.id,
    loanId,
    kind: 'call',
    availableAt: new Date(next.at),
    payload: { reason: 'callback_requested', requestedAt: new Date(at).toISOString() },
  });
  if (created) await appendAudit(deps.db, { actor: actorOf(by), action: 'borrower.callback_requested', caseId: open.id, loanId, after: { taskId: task.id, requestedAt: new Date(at).toISOString(), availableAt: next.at } });
  if (task.status === 'cancelled') throw new ValidationError(`the rules allow no call on loan ${loanId} (${task.cancelledRule})`, 'at');
  return { loanId, taskId: task.id, availableAt: task.availableAt.toISOString() };
}
